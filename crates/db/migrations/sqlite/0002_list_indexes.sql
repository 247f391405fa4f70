-- Totals of a region (COUNT and SUM of investment) read from the index alone.
CREATE INDEX projects_region_investment ON projects(region_code, total_investment_fen);
