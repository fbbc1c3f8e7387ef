-- Up Migration

-- The webhook key is shown once; only its SHA-256 and a short visible prefix are kept.
CREATE TABLE webhook_configs (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id      uuid NOT NULL,
  project_id           uuid NOT NULL,
  webhook_name         varchar(200) NOT NULL,
  key_prefix           varchar(16) NOT NULL,
  key_hash             char(64) NOT NULL UNIQUE,
  -- signs time-limited shared URLs; a reference into the secret store, never the key itself
  signing_secret_ref   varchar(512),
  is_active            boolean NOT NULL DEFAULT true,
  revoked_at           timestamptz,
  allowed_data_sources uuid[] NOT NULL DEFAULT '{}',
  data_filters         jsonb NOT NULL DEFAULT '{}'::jsonb,
  output_format        varchar(20) NOT NULL DEFAULT 'json',
  rate_limit_per_hour  integer NOT NULL DEFAULT 1000 CHECK (rate_limit_per_hour > 0),
  expires_at           timestamptz,
  last_used_at         timestamptz,
  created_by           uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE CASCADE,
  CONSTRAINT webhook_configs_name_key UNIQUE (project_id, webhook_name)
);
CREATE INDEX webhook_configs_project_idx ON webhook_configs (project_id, is_active);

CREATE TABLE api_access_logs (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id    uuid NOT NULL,
  project_id         uuid,
  webhook_config_id  uuid REFERENCES webhook_configs(id) ON DELETE SET NULL,
  ip_address         inet,
  user_agent         text,
  request_method     varchar(10) NOT NULL,
  request_path       text NOT NULL,
  request_params     jsonb,
  response_status    integer NOT NULL,
  response_size      bigint,
  processing_time_ms integer,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_access_logs_webhook_idx ON api_access_logs (webhook_config_id, created_at);
CREATE INDEX api_access_logs_ip_idx ON api_access_logs (ip_address, created_at);

-- Reference exchange rates (ECB daily): 1 unit of base_currency = rate units of quote_currency.
CREATE TABLE fx_rates (
  rate_date      date NOT NULL,
  base_currency  char(3) NOT NULL,
  quote_currency char(3) NOT NULL,
  rate           numeric(20,10) NOT NULL CHECK (rate > 0),
  source         varchar(50) NOT NULL DEFAULT 'ecb',
  fetched_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rate_date, base_currency, quote_currency)
);

CREATE TRIGGER webhook_configs_updated_at BEFORE UPDATE ON webhook_configs FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE fx_rates;
DROP TABLE api_access_logs;
DROP TABLE webhook_configs;
