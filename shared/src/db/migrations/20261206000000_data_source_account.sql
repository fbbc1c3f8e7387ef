-- Up Migration

-- The configured account as the platform last described it (id, name, currency, time zone), and when. A
-- data source stores it when it is created or its account changes (the API checks the account against
-- the catalog then), and a run plans from it while it is fresh: the run's windows can start at once
-- instead of waiting behind a describe call that spends the same rate budget. Older than the pipeline's
-- accountInfoMaxAgeHours, the planner asks the platform again (which also re-checks access).
ALTER TABLE data_sources
  ADD COLUMN account_info jsonb,
  ADD COLUMN account_checked_at timestamptz;

-- Down Migration

ALTER TABLE data_sources DROP COLUMN account_checked_at, DROP COLUMN account_info;
