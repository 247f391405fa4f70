-- PostgreSQL's 0021 changes the projects' list state at commit, so that a long transaction
-- (an import) does not hold its row and keep every other project write waiting. SQLite has one
-- writer at a time (the process's queue), and its triggers change the state at once, as before.
-- The state as the project list reads it (the same name on PostgreSQL):
CREATE VIEW projects_list_state AS
    SELECT g.n AS n FROM list_generations g WHERE g.name = 'projects';
