-- Up Migration

-- Metadata only: the secret itself lives in the secret store (Secrets Manager + KMS in AWS, the local
-- envelope store on a laptop). `secret_ref` names it; nothing here can be decrypted.
CREATE TABLE credentials (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL,
  project_id        uuid NOT NULL,
  platform          varchar(50) NOT NULL,
  credential_type   varchar(50) NOT NULL CHECK (credential_type IN ('oauth2', 'api_key', 'service_account')),
  label             varchar(200) NOT NULL,
  secret_ref        varchar(512) NOT NULL,
  key_id            varchar(512) NOT NULL,
  masked_preview    varchar(64),
  status            varchar(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'revoked', 'error', 'disabled')),
  expires_at        timestamptz,
  last_validated_at timestamptz,
  validation_status varchar(20) NOT NULL DEFAULT 'pending' CHECK (validation_status IN ('pending', 'valid', 'invalid', 'error')),
  validation_message text,
  created_by        uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT credentials_label_key UNIQUE (project_id, platform, label),
  CONSTRAINT credentials_org_id_key UNIQUE (organization_id, id)
);
CREATE INDEX credentials_project_platform_idx ON credentials (project_id, platform);

CREATE TABLE data_sources (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id     uuid NOT NULL,
  project_id          uuid NOT NULL,
  credential_id       uuid NOT NULL,
  platform            varchar(50) NOT NULL,
  source_name         varchar(200) NOT NULL,
  extraction_config   jsonb NOT NULL,
  schedule_config     jsonb NOT NULL,
  is_active           boolean NOT NULL DEFAULT true,
  last_extraction_at  timestamptz,
  next_extraction_at  timestamptz,
  -- the last day whose numbers were extracted successfully; the planner restarts from here minus the lookback
  last_successful_date date,
  extraction_status   varchar(20) NOT NULL DEFAULT 'pending' CHECK (extraction_status IN ('pending', 'running', 'succeeded', 'partial', 'failed', 'disabled')),
  created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE CASCADE,
  FOREIGN KEY (organization_id, credential_id) REFERENCES credentials (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT data_sources_name_key UNIQUE (project_id, source_name),
  CONSTRAINT data_sources_org_id_key UNIQUE (organization_id, id)
);
CREATE INDEX data_sources_project_active_idx ON data_sources (project_id, is_active);
CREATE INDEX data_sources_next_run_idx ON data_sources (next_extraction_at) WHERE is_active;
CREATE INDEX data_sources_extraction_config_gin ON data_sources USING gin (extraction_config);

CREATE TABLE extraction_jobs (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL,
  project_id        uuid NOT NULL,
  data_source_id    uuid NOT NULL,
  job_type          varchar(50) NOT NULL CHECK (job_type IN ('scheduled', 'manual', 'backfill', 'retry')),
  status            varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'partial', 'failed', 'cancelled')),
  window_start      date,
  window_end        date,
  attempt           integer NOT NULL DEFAULT 1,
  progress_percent  numeric(5,2) NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
  rows_read         bigint NOT NULL DEFAULT 0,
  rows_inserted     bigint NOT NULL DEFAULT 0,
  rows_updated      bigint NOT NULL DEFAULT 0,
  rows_unchanged    bigint NOT NULL DEFAULT 0,
  -- how much restated numbers moved, per day and metric: [{date, rows_changed, cost_delta, ...}]
  restatements      jsonb NOT NULL DEFAULT '[]'::jsonb,
  error_code        varchar(100),
  error_message     text,
  execution_arn     varchar(2048),
  job_config        jsonb NOT NULL DEFAULT '{}'::jsonb,
  started_at        timestamptz,
  completed_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, data_source_id) REFERENCES data_sources (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX extraction_jobs_source_created_idx ON extraction_jobs (data_source_id, created_at DESC);
-- at most one run of a data source at a time, enforced by the database rather than by hope
CREATE UNIQUE INDEX extraction_jobs_one_running_key ON extraction_jobs (data_source_id) WHERE status IN ('pending', 'running');

CREATE TRIGGER credentials_updated_at BEFORE UPDATE ON credentials FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER data_sources_updated_at BEFORE UPDATE ON data_sources FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER extraction_jobs_updated_at BEFORE UPDATE ON extraction_jobs FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE extraction_jobs;
DROP TABLE data_sources;
DROP TABLE credentials;
