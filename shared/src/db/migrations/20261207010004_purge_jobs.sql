-- Up Migration

-- Delete means gone: deleting a project or a data source queues the purge of its object-store prefixes
-- (raw pages, cold archives; every version in a versioned bucket) in the same transaction as the delete, so a
-- crash right after the commit leaves a pending job, never forgotten objects. The maintenance job drains the
-- queue (functions/src/maintenance/purge.ts). No foreign keys: the job must outlive what it purges.
CREATE TABLE purge_jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  project_id      uuid NOT NULL,
  data_source_id  uuid,
  -- which configured bucket: 'raw' (raw pages) or 'archive' (cold archives); the names live in config
  store           varchar(20) NOT NULL CHECK (store IN ('raw', 'archive')),
  prefix          varchar(1024) NOT NULL CHECK (prefix ~ '/$' AND length(prefix) > 40),
  status          varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  attempts        integer NOT NULL DEFAULT 0,
  objects_deleted bigint NOT NULL DEFAULT 0,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz
);
CREATE INDEX purge_jobs_pending_idx ON purge_jobs (created_at) WHERE status = 'pending';
ALTER TABLE purge_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE purge_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY purge_jobs_org_isolation ON purge_jobs TO tributary_app
  USING (organization_id = app_current_org()) WITH CHECK (organization_id = app_current_org());
GRANT SELECT ON purge_jobs TO tributary_app;
GRANT SELECT, UPDATE ON purge_jobs TO tributary_loader;
GRANT INSERT ON purge_jobs TO tributary_definer;
GRANT SELECT, DELETE ON archive_manifests, api_access_logs TO tributary_definer;

-- A project's rows without a foreign key to it (archive manifests, webhook access logs) go with it, and its
-- prefixes are queued. Raw pages live under <org>/<project>/, cold archives under archive/<org>/<project>/.
CREATE FUNCTION purge_deleted_project() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM archive_manifests WHERE project_id = OLD.id;
  DELETE FROM api_access_logs WHERE project_id = OLD.id;
  INSERT INTO purge_jobs (organization_id, project_id, store, prefix) VALUES
    (OLD.organization_id, OLD.id, 'raw', OLD.organization_id || '/' || OLD.id || '/'),
    (OLD.organization_id, OLD.id, 'archive', 'archive/' || OLD.organization_id || '/' || OLD.id || '/');
  RETURN OLD;
END $$;
ALTER FUNCTION purge_deleted_project() OWNER TO tributary_definer;
CREATE TRIGGER projects_purge_on_delete AFTER DELETE ON projects FOR EACH ROW EXECUTE FUNCTION purge_deleted_project();

-- A data source's raw pages live under <org>/<project>/<data source>/ (its facts go by delete_data_source_facts).
CREATE FUNCTION purge_deleted_data_source() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- a cascade from a project's delete: the project's own job covers this prefix
  IF NOT EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id) THEN RETURN OLD; END IF;
  INSERT INTO purge_jobs (organization_id, project_id, data_source_id, store, prefix)
  VALUES (OLD.organization_id, OLD.project_id, OLD.id, 'raw', OLD.organization_id || '/' || OLD.project_id || '/' || OLD.id || '/');
  RETURN OLD;
END $$;
ALTER FUNCTION purge_deleted_data_source() OWNER TO tributary_definer;
CREATE TRIGGER data_sources_purge_on_delete AFTER DELETE ON data_sources FOR EACH ROW EXECUTE FUNCTION purge_deleted_data_source();

-- Down Migration
DROP TRIGGER data_sources_purge_on_delete ON data_sources;
DROP FUNCTION purge_deleted_data_source();
DROP TRIGGER projects_purge_on_delete ON projects;
DROP FUNCTION purge_deleted_project();
DROP TABLE purge_jobs;
