-- The project list filters and shows 本期评价 by project: rows of an issue by project.
CREATE INDEX colour_issue_rows_issue_project ON colour_issue_rows(issue_id, project_id);
