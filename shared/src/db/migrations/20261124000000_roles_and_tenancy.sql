-- Up Migration

-- Group roles. The application never connects as the table owner: each transaction runs `SET LOCAL ROLE`
-- to one of these (transaction-scoped, so RDS Proxy can still multiplex connections).
--   tributary_app    : the API and query paths; row-level security applies to it.
--   tributary_loader : the extraction worker's fact loader; BYPASSRLS because COPY FROM is refused on
--                      tables with row-level security. It derives organization and project from the data
--                      source row itself, never from user input, and has no rights on identity tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tributary_app') THEN
    CREATE ROLE tributary_app NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tributary_loader') THEN
    CREATE ROLE tributary_loader NOLOGIN BYPASSRLS;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO tributary_app, tributary_loader;

-- The organization (and user) context of the current transaction, set by the data layer with
-- set_config(..., true). An unset context matches nothing.
CREATE FUNCTION app_current_org() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('tributary.org_id', true), '')::uuid $$;
CREATE FUNCTION app_current_user() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('tributary.user_id', true), '')::uuid $$;

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE organizations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(200) NOT NULL,
  is_personal boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A mirror of the Cognito identity: Cognito owns passwords, so there is no password_hash here.
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cognito_sub   varchar(128) NOT NULL UNIQUE,
  email         varchar(320) NOT NULL,
  first_name    varchar(100),
  last_name     varchar(100),
  timezone      varchar(64) NOT NULL DEFAULT 'UTC',
  preferences   jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_active     boolean NOT NULL DEFAULT true,
  last_login_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TYPE membership_role AS ENUM ('owner', 'admin', 'analyst', 'viewer');

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role            membership_role NOT NULL,
  invited_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE projects (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            varchar(200) NOT NULL,
  description     text,
  is_active       boolean NOT NULL DEFAULT true,
  -- reporting currency, time zone and retention live in typed columns: every query and job reads them.
  reporting_currency char(3) NOT NULL DEFAULT 'USD' CHECK (reporting_currency ~ '^[A-Z]{3}$'),
  timezone           varchar(64) NOT NULL DEFAULT 'UTC',
  hot_retention_days integer NOT NULL DEFAULT 90 CHECK (hot_retention_days BETWEEN 1 AND 3650),
  archive_retention_days integer NOT NULL DEFAULT 730 CHECK (archive_retention_days BETWEEN 1 AND 36500),
  settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by      uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT projects_name_per_org_key UNIQUE (organization_id, name),
  -- lets child tables carry (organization_id, project_id) and have the pair checked
  CONSTRAINT projects_org_id_key UNIQUE (organization_id, id)
);
CREATE INDEX projects_org_created_idx ON projects (organization_id, created_at);

-- Who did what to which project or credential, when, from where.
CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id      uuid,
  actor_user_id   uuid REFERENCES users(id) ON DELETE SET NULL,
  actor_kind      varchar(20) NOT NULL DEFAULT 'user' CHECK (actor_kind IN ('user', 'system', 'webhook')),
  action          varchar(100) NOT NULL,
  target_type     varchar(50) NOT NULL,
  target_id       varchar(100),
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip_address      inet,
  user_agent      text,
  request_id      varchar(100),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_project_idx ON audit_log (project_id, created_at DESC);
CREATE INDEX audit_log_org_idx ON audit_log (organization_id, created_at DESC);

CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER memberships_updated_at BEFORE UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER projects_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE audit_log;
DROP TABLE projects;
DROP TABLE memberships;
DROP TYPE membership_role;
DROP TABLE users;
DROP TABLE organizations;
DROP FUNCTION set_updated_at();
DROP FUNCTION app_current_user();
DROP FUNCTION app_current_org();
