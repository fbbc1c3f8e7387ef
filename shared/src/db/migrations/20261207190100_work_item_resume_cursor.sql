-- Up Migration

-- Where a work item resumes: the cursor a connector handed back (ReportNotReadyError) while its platform job
-- (an Amazon Ads report, a Shopify bulk operation) was still running. The state machine waits, and the next
-- extract of the item passes it back, so the same job is polled instead of a new one started. Cleared when the
-- item succeeds.
ALTER TABLE extraction_work_items ADD COLUMN resume_cursor text;

-- Down Migration
ALTER TABLE extraction_work_items DROP COLUMN resume_cursor;
