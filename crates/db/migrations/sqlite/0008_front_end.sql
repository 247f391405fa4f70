-- The project list filters and shows 本期评价 by project: rows of an issue by project.
CREATE INDEX colour_issue_rows_issue_project ON colour_issue_rows(issue_id, project_id);
-- A project's page shows its colour in every issue.
CREATE INDEX colour_issue_rows_project ON colour_issue_rows(project_id);

-- A notification may point anywhere (a returned report, a 催报 of a month), not only to an item
-- or a document: the page it opens.
ALTER TABLE notifications ADD COLUMN link TEXT NOT NULL DEFAULT '';

-- A published issue's title is frozen with it: the region's name as it was when published.
ALTER TABLE colour_issues ADD COLUMN region_name TEXT NOT NULL DEFAULT '';
