-- Up Migration

-- Every fact a query may read: the hot table and the warm archive (facts past the project's hot window,
-- moved by the daily retention job), as one relation. A warm row whose key is also hot is left out: a
-- back-dated re-extraction writes the hot table, and the newer numbers must win, never count twice.
-- security_invoker: the caller's row-level security applies to both tables underneath.
CREATE VIEW facts WITH (security_invoker = true) AS
SELECT organization_id, project_id, data_source_id, platform, data_type, data_date,
       account_id, account_name, campaign_id, campaign_name, ad_group_id, ad_group_name, ad_id, ad_name,
       extra_dimensions, impressions, clicks, cost, conversions, revenue, currency, extra_metrics,
       row_key, content_hash, extraction_job_id, updated_at
FROM extracted_data
UNION ALL
SELECT a.organization_id, a.project_id, a.data_source_id, a.platform, a.data_type, a.data_date,
       a.account_id, a.account_name, a.campaign_id, a.campaign_name, a.ad_group_id, a.ad_group_name, a.ad_id, a.ad_name,
       a.extra_dimensions, a.impressions, a.clicks, a.cost, a.conversions, a.revenue, a.currency, a.extra_metrics,
       a.row_key, a.content_hash, a.extraction_job_id, a.updated_at
FROM archived_data a
WHERE NOT EXISTS (
  SELECT 1 FROM extracted_data e
  WHERE e.data_source_id = a.data_source_id AND e.data_type = a.data_type AND e.data_date = a.data_date AND e.row_key = a.row_key
);
GRANT SELECT ON facts TO tributary_app, tributary_loader;
GRANT EXECUTE ON FUNCTION tributary_ensure_month_partitions(text, date, date) TO tributary_loader;

-- Down Migration
DROP VIEW facts;
