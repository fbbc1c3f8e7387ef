-- Up Migration

-- A webhook request is logged when it starts (response_status NULL while it runs) and completed when it
-- ends: the hourly limit then counts requests as they start, so concurrent ones cannot all pass, and the
-- rows still open are the webhook's requests in flight, which are capped.
ALTER TABLE api_access_logs ALTER COLUMN response_status DROP NOT NULL;
GRANT UPDATE (response_status, response_size, processing_time_ms) ON api_access_logs TO tributary_app;
CREATE INDEX api_access_logs_in_flight_idx ON api_access_logs (webhook_config_id, created_at) WHERE response_status IS NULL;

-- Down Migration
DROP INDEX api_access_logs_in_flight_idx;
REVOKE UPDATE (response_status, response_size, processing_time_ms) ON api_access_logs FROM tributary_app;
UPDATE api_access_logs SET response_status = 499 WHERE response_status IS NULL;
ALTER TABLE api_access_logs ALTER COLUMN response_status SET NOT NULL;
