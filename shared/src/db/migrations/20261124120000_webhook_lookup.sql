-- Up Migration

-- A webhook request arrives with a key (or a signed URL naming the webhook), not an organization, and
-- row-level security hides every webhook until one is chosen. These two functions answer "which webhook
-- is this?" for exactly one key hash or id, and nothing else; everything after runs with that webhook's
-- organization set, under RLS. SECURITY DEFINER for that reason only.
CREATE FUNCTION app_webhook_by_key_hash(p_key_hash text)
RETURNS TABLE (id uuid, organization_id uuid, project_id uuid, key_hash text, key_prefix text, is_active boolean, revoked_at timestamptz,
               expires_at timestamptz, allowed_data_sources uuid[], data_filters jsonb, output_format text, rate_limit_per_hour integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT w.id, w.organization_id, w.project_id, w.key_hash::text, w.key_prefix::text, w.is_active, w.revoked_at, w.expires_at,
          w.allowed_data_sources, w.data_filters, w.output_format::text, w.rate_limit_per_hour
     FROM webhook_configs w WHERE w.key_hash = p_key_hash $$;

CREATE FUNCTION app_webhook_by_id(p_id uuid)
RETURNS TABLE (id uuid, organization_id uuid, project_id uuid, key_hash text, key_prefix text, is_active boolean, revoked_at timestamptz,
               expires_at timestamptz, allowed_data_sources uuid[], data_filters jsonb, output_format text, rate_limit_per_hour integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT w.id, w.organization_id, w.project_id, w.key_hash::text, w.key_prefix::text, w.is_active, w.revoked_at, w.expires_at,
          w.allowed_data_sources, w.data_filters, w.output_format::text, w.rate_limit_per_hour
     FROM webhook_configs w WHERE w.id = p_id $$;

REVOKE EXECUTE ON FUNCTION app_webhook_by_key_hash(text), app_webhook_by_id(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_webhook_by_key_hash(text), app_webhook_by_id(uuid) TO tributary_app;

-- Down Migration
DROP FUNCTION app_webhook_by_id(uuid);
DROP FUNCTION app_webhook_by_key_hash(text);
