-- Up Migration

-- Work items live here, not in the state machine's payload: Plan writes them and returns only lane numbers,
-- and each lane of the Map claims the next pending item (FOR UPDATE SKIP LOCKED) until none is left. A lane
-- that is retried resumes the item it holds. `account` is the account as the planner saw it (currency, time
-- zone), which the worker needs to read and normalize the window.
ALTER TABLE extraction_work_items
  ADD COLUMN lane integer,
  ADD COLUMN account jsonb;
CREATE INDEX extraction_work_items_pending_idx ON extraction_work_items (job_id, window_start, item_key) WHERE status = 'pending';

-- Down Migration
DROP INDEX extraction_work_items_pending_idx;
ALTER TABLE extraction_work_items DROP COLUMN account, DROP COLUMN lane;
