-- Up Migration

-- When a waiting work item is tried again: set when the platform's quota is spent (rate limited) or its report
-- is still being prepared (not ready), so the dashboard can say when the window resumes.
ALTER TABLE extraction_work_items ADD COLUMN retry_at timestamptz;

-- Down Migration
ALTER TABLE extraction_work_items DROP COLUMN retry_at;
