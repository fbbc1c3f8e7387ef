-- Up Migration

-- FORCE ROW LEVEL SECURITY on every tenant table: the table owner (the migration role) is held to the
-- policies too, so nothing that runs as the owner reads or writes across organizations by accident. The owner
-- has no policy of its own, so as the owner these tables show no rows at all. A data fix in a future
-- migration runs as tributary_definer (SET LOCAL ROLE), or names its organization through a policy's role.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['organizations', 'memberships', 'projects', 'credentials', 'data_sources', 'extraction_jobs',
                           'extraction_work_items', 'extracted_data', 'archived_data', 'archive_manifests', 'webhook_configs',
                           'api_access_logs', 'audit_log', 'invitations']
  LOOP
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;

-- The SECURITY DEFINER functions that must see across organizations (which organization holds this project,
-- this webhook key, this invitation; a data source's facts on delete) run as this role rather than as the
-- owner, whom FORCE now holds to the policies. It can log in as nobody, and has exactly the rights those
-- functions use.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tributary_definer') THEN
    CREATE ROLE tributary_definer NOLOGIN BYPASSRLS;
  END IF;
END $$;
-- the migration role must be able to hand its functions over (PostgreSQL 16+: a creator has ADMIN only)
GRANT tributary_definer TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO tributary_definer;
GRANT SELECT ON projects, memberships, webhook_configs, users TO tributary_definer;
GRANT SELECT, UPDATE ON invitations TO tributary_definer;
GRANT INSERT ON memberships, audit_log TO tributary_definer;
GRANT SELECT, DELETE ON extracted_data, archived_data TO tributary_definer;
GRANT EXECUTE ON FUNCTION app_current_user(), app_current_org() TO tributary_definer;

ALTER FUNCTION app_project_access(uuid) OWNER TO tributary_definer;
ALTER FUNCTION app_accept_invitation(text) OWNER TO tributary_definer;
ALTER FUNCTION app_webhook_by_key_hash(text) OWNER TO tributary_definer;
ALTER FUNCTION app_webhook_by_id(uuid) OWNER TO tributary_definer;
ALTER FUNCTION delete_data_source_facts() OWNER TO tributary_definer;

-- Down Migration
ALTER FUNCTION app_project_access(uuid) OWNER TO CURRENT_USER;
ALTER FUNCTION app_accept_invitation(text) OWNER TO CURRENT_USER;
ALTER FUNCTION app_webhook_by_key_hash(text) OWNER TO CURRENT_USER;
ALTER FUNCTION app_webhook_by_id(uuid) OWNER TO CURRENT_USER;
ALTER FUNCTION delete_data_source_facts() OWNER TO CURRENT_USER;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM tributary_definer;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['organizations', 'memberships', 'projects', 'credentials', 'data_sources', 'extraction_jobs',
                           'extraction_work_items', 'extracted_data', 'archived_data', 'archive_manifests', 'webhook_configs',
                           'api_access_logs', 'audit_log', 'invitations']
  LOOP
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;
