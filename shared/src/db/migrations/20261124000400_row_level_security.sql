-- Up Migration

-- Row-level security: a second wall behind the application's own checks. Every organization-scoped table
-- shows tributary_app only the rows of the organization set for the current transaction
-- (set_config('tributary.org_id', ..., true)); with no organization set it shows nothing.
-- Memberships and organizations are also visible to their own user (tributary.user_id), which is how a
-- request finds the organizations it may act in.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['projects', 'credentials', 'data_sources', 'extraction_jobs', 'extracted_data',
                           'archived_data', 'archive_manifests', 'webhook_configs', 'api_access_logs', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I TO tributary_app USING (organization_id = app_current_org()) WITH CHECK (organization_id = app_current_org())', t || '_org_isolation', t);
  END LOOP;
END $$;

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY memberships_visibility ON memberships TO tributary_app
  USING (organization_id = app_current_org() OR user_id = app_current_user())
  WITH CHECK (organization_id = app_current_org());

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_visibility ON organizations TO tributary_app
  USING (id = app_current_org() OR id IN (SELECT organization_id FROM memberships WHERE user_id = app_current_user()))
  WITH CHECK (id = app_current_org());

GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, memberships, projects, credentials, data_sources,
  extraction_jobs, webhook_configs, archive_manifests TO tributary_app;
GRANT SELECT, INSERT ON audit_log, api_access_logs TO tributary_app;
GRANT SELECT ON extracted_data, archived_data, fx_rates TO tributary_app;
GRANT DELETE ON extracted_data, archived_data TO tributary_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tributary_app;

-- The loader writes facts and staging rows, and reads the job it is loading for.
GRANT SELECT, INSERT, UPDATE, DELETE ON extracted_data, archived_data, fact_load_staging TO tributary_loader;
GRANT SELECT, INSERT, UPDATE, DELETE ON fx_rates, archive_manifests TO tributary_loader;
GRANT SELECT, UPDATE ON extraction_jobs, data_sources TO tributary_loader;
GRANT SELECT ON projects, organizations TO tributary_loader;
GRANT INSERT ON audit_log TO tributary_loader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tributary_loader;
GRANT EXECUTE ON FUNCTION tributary_ensure_month_partitions(text, date, date), tributary_partition_months(text) TO tributary_loader;
REVOKE EXECUTE ON FUNCTION tributary_ensure_month_partitions(text, date, date) FROM PUBLIC;

-- Down Migration
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM tributary_app, tributary_loader;
DROP POLICY organizations_visibility ON organizations;
ALTER TABLE organizations DISABLE ROW LEVEL SECURITY;
DROP POLICY memberships_visibility ON memberships;
ALTER TABLE memberships DISABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['projects', 'credentials', 'data_sources', 'extraction_jobs', 'extracted_data',
                           'archived_data', 'archive_manifests', 'webhook_configs', 'api_access_logs', 'audit_log']
  LOOP
    EXECUTE format('DROP POLICY %I ON %I', t || '_org_isolation', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;
