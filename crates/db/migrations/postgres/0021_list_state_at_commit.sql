-- The projects' list state (`list_generations`) is changed at commit, once a transaction,
-- instead of by each statement. A statement's UPDATE of that one row held its lock until its
-- transaction ended, so an import's transaction (24,000 rows, 30 s) made every other project
-- write wait for the whole import, and enough of them held every pooled connection until
-- other requests timed out (try-out of issue #14). A deferred constraint trigger runs at
-- commit, inside the transaction: readers still see the new state together with the rows it
-- describes, and the row is locked only while the transaction commits.
CREATE FUNCTION projects_generation_bump_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- each changed row fires at commit; the first one does the work
    IF current_setting('keyproj.projects_generation_bumped', true)
            IS DISTINCT FROM txid_current()::text THEN
        UPDATE list_generations SET n = list_generation_random() WHERE name = 'projects';
        PERFORM set_config('keyproj.projects_generation_bumped', txid_current()::text, true);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER projects_generation ON projects;
DROP TRIGGER project_units_generation ON project_units;
DROP TRIGGER units_generation_update ON units;
DROP TRIGGER units_generation_delete ON units;

CREATE CONSTRAINT TRIGGER projects_generation AFTER INSERT OR UPDATE OR DELETE ON projects
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION projects_generation_bump_at_commit();
CREATE CONSTRAINT TRIGGER project_units_generation AFTER INSERT OR UPDATE OR DELETE ON project_units
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION projects_generation_bump_at_commit();
CREATE CONSTRAINT TRIGGER units_generation_update AFTER UPDATE OF name, sort_order ON units
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION projects_generation_bump_at_commit();
CREATE CONSTRAINT TRIGGER units_generation_delete AFTER DELETE ON units
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION projects_generation_bump_at_commit();

-- TRUNCATE has no row triggers (and locks the whole table anyway): it changes the state at once
CREATE TRIGGER projects_generation_truncate AFTER TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();
CREATE TRIGGER project_units_generation_truncate AFTER TRUNCATE ON project_units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();
CREATE TRIGGER units_generation_truncate AFTER TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_generation_bump();

-- Read inside a transaction that has changed them, the projects are in a state of their own
-- (the state's row changes only at commit): the list reads it as a new random value, which
-- nothing remembered matches. A statement trigger marks the transaction, without a lock.
CREATE FUNCTION projects_changed_here() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('keyproj.projects_changed', txid_current()::text, true);
    RETURN NULL;
END $$;
CREATE TRIGGER projects_changed AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION projects_changed_here();
CREATE TRIGGER project_units_changed AFTER INSERT OR UPDATE OR DELETE ON project_units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_changed_here();
CREATE TRIGGER units_changed_update AFTER UPDATE OF name, sort_order ON units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_changed_here();
CREATE TRIGGER units_changed_delete AFTER DELETE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION projects_changed_here();

-- The state as the project list reads it (the same name on SQLite).
CREATE VIEW projects_list_state AS
    SELECT CASE
               WHEN current_setting('keyproj.projects_changed', true)
                    = txid_current_if_assigned()::text THEN list_generation_random()
               ELSE g.n
           END AS n
      FROM list_generations g
     WHERE g.name = 'projects';
