-- Up Migration

-- One row per work item of an extraction run (account x report type x window), written by the pipeline's
-- planner and worker. It is what makes a retried worker idempotent (a succeeded item returns its recorded
-- result instead of loading again) and what the finalizer sums into extraction_jobs: counts, and the
-- restatement record (how much restated numbers moved, per day, data type and metric).
CREATE TABLE extraction_work_items (
  organization_id  uuid NOT NULL,
  job_id           uuid NOT NULL REFERENCES extraction_jobs (id) ON DELETE CASCADE,
  item_key         varchar(300) NOT NULL,
  account_id       varchar(100) NOT NULL,
  report_type      varchar(100) NOT NULL,
  window_start     date NOT NULL,
  window_end       date NOT NULL,
  status           varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  pages            integer NOT NULL DEFAULT 0,
  rows_read        bigint NOT NULL DEFAULT 0,
  rows_inserted    bigint NOT NULL DEFAULT 0,
  rows_updated     bigint NOT NULL DEFAULT 0,
  rows_unchanged   bigint NOT NULL DEFAULT 0,
  restatements     jsonb NOT NULL DEFAULT '[]'::jsonb,
  error_code       varchar(100),
  error_message    text,
  completed_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, item_key)
);
CREATE TRIGGER extraction_work_items_updated_at BEFORE UPDATE ON extraction_work_items FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE extraction_work_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY extraction_work_items_org_isolation ON extraction_work_items TO tributary_app
  USING (organization_id = app_current_org()) WITH CHECK (organization_id = app_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON extraction_work_items TO tributary_app;

-- Down Migration
DROP TABLE extraction_work_items;
