-- Up Migration

-- The normalized fact table, partitioned by month on data_date.
-- One row per (data source, data type, day, row_key). row_key is a 64-bit hash of the dimension ids (not
-- the names: a renamed campaign is the same row); content_hash is a 64-bit hash of everything else. Both
-- are computed in one place, shared/src/facts/row-hash.ts. Re-extracting a day replaces its numbers and
-- never adds a second row; a row whose content_hash is unchanged is not rewritten.
--
-- No foreign key to data_sources: checking it costs a lookup per loaded row (measured by `npm run bench`);
-- the trigger on data_sources below removes a deleted source's facts instead.
CREATE TABLE extracted_data (
  organization_id   uuid NOT NULL,
  project_id        uuid NOT NULL,
  data_source_id    uuid NOT NULL,
  platform          varchar(50) NOT NULL,
  data_type         varchar(100) NOT NULL,
  data_date         date NOT NULL,
  account_id        text,
  account_name      text,
  campaign_id       text,
  campaign_name     text,
  ad_group_id       text,
  ad_group_name     text,
  ad_id             text,
  ad_name           text,
  extra_dimensions  jsonb NOT NULL DEFAULT '{}'::jsonb,
  impressions       numeric,
  clicks            numeric,
  cost              numeric,
  conversions       numeric,
  revenue           numeric,
  currency          char(3),
  extra_metrics     jsonb NOT NULL DEFAULT '{}'::jsonb,
  row_key           bigint NOT NULL,
  content_hash      bigint NOT NULL,
  extraction_job_id uuid,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT extracted_data_natural_key UNIQUE (data_source_id, data_type, data_date, row_key)
) PARTITION BY RANGE (data_date);
CREATE INDEX extracted_data_project_date_idx ON extracted_data (project_id, data_date);
-- Safety net: a row for a month without its partition lands here instead of failing a load;
-- tributary_ensure_month_partitions moves such rows out when it creates the month.
CREATE TABLE extracted_data_default PARTITION OF extracted_data DEFAULT;

-- Facts past the project's hot window (default 90 days): same shape, still queryable.
CREATE TABLE archived_data (LIKE extracted_data INCLUDING DEFAULTS,
  archived_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT archived_data_natural_key UNIQUE (data_source_id, data_type, data_date, row_key)
) PARTITION BY RANGE (data_date);
CREATE INDEX archived_data_project_date_idx ON archived_data (project_id, data_date);
CREATE TABLE archived_data_default PARTITION OF archived_data DEFAULT;

-- Facts past the archive window, moved to S3: where they went and how to check them.
CREATE TABLE archive_manifests (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  project_id      uuid NOT NULL,
  data_source_id  uuid,
  range_start     date NOT NULL,
  range_end       date NOT NULL,
  bucket          varchar(255) NOT NULL,
  object_key      varchar(1024) NOT NULL,
  row_count       bigint NOT NULL,
  byte_size       bigint NOT NULL,
  checksum_sha256 char(64) NOT NULL,
  format          varchar(32) NOT NULL DEFAULT 'ndjson.gz',
  status          varchar(20) NOT NULL DEFAULT 'archived' CHECK (status IN ('archived', 'restored', 'deleted')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  restored_at     timestamptz,
  FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX archive_manifests_project_idx ON archive_manifests (project_id, range_start);

-- The fact loader's staging area for changed rows. A regular (unlogged) table keyed by load_id, not a
-- temporary table: temp tables pin RDS Proxy connections, and the loader writes staging rows on a second
-- connection while its main transaction streams new rows with COPY.
CREATE UNLOGGED TABLE fact_load_staging (
  load_id   uuid NOT NULL,
  seq       bigint NOT NULL,
  LIKE extracted_data INCLUDING DEFAULTS,
  staged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_load_staging_load_idx ON fact_load_staging (load_id);

-- Creates the monthly partitions covering [p_from, p_to] of extracted_data or archived_data, moving any rows
-- that had landed in the default partition. Uses ATTACH PARTITION, which takes SHARE UPDATE EXCLUSIVE on the
-- parent, so loads and queries keep running. SECURITY DEFINER: only the owner can create tables.
CREATE FUNCTION tributary_ensure_month_partitions(p_parent text, p_from date, p_to date)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  m date := date_trunc('month', p_from)::date;
  last_month date := date_trunc('month', p_to)::date;
  next_month date;
  part text;
  created integer := 0;
BEGIN
  IF p_parent NOT IN ('extracted_data', 'archived_data') THEN
    RAISE EXCEPTION 'not a fact table: %', p_parent;
  END IF;
  IF p_to < p_from OR p_to - p_from > 366 * 50 THEN
    RAISE EXCEPTION 'invalid partition range % .. %', p_from, p_to;
  END IF;
  WHILE m <= last_month LOOP
    next_month := (m + interval '1 month')::date;
    part := format('%s_p%s', p_parent, to_char(m, 'YYYYMM'));
    IF to_regclass(part) IS NULL THEN
      PERFORM pg_advisory_xact_lock(hashtext(part));
      IF to_regclass(part) IS NULL THEN
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, p_parent);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (data_date >= %L AND data_date < %L)', part, part || '_range', m, next_month);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE data_date >= %L AND data_date < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       p_parent || '_default', m, next_month, part);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', p_parent, part, m, next_month);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_range');
        created := created + 1;
      END IF;
    END IF;
    m := next_month;
  END LOOP;
  RETURN created;
END $$;

-- Months that have a partition, for the loader's "do I need to create one" check.
CREATE FUNCTION tributary_partition_months(p_parent text)
RETURNS SETOF date LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT to_date(substring(c.relname from '_p([0-9]{6})$'), 'YYYYMM')
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = p_parent::regclass AND c.relname ~ '_p[0-9]{6}$'
$$;

-- Deleting a data source removes its facts (there is no foreign key; see above).
CREATE FUNCTION delete_data_source_facts() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  DELETE FROM extracted_data WHERE data_source_id = OLD.id;
  DELETE FROM archived_data WHERE data_source_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER data_sources_delete_facts AFTER DELETE ON data_sources FOR EACH ROW EXECUTE FUNCTION delete_data_source_facts();

-- Two years back and a year ahead exist from the start; the loader and the daily job create the rest.
SELECT tributary_ensure_month_partitions('extracted_data', (current_date - interval '24 months')::date, (current_date + interval '12 months')::date);

-- Down Migration
DROP TRIGGER data_sources_delete_facts ON data_sources;
DROP FUNCTION delete_data_source_facts();
DROP FUNCTION tributary_partition_months(text);
DROP FUNCTION tributary_ensure_month_partitions(text, date, date);
DROP TABLE fact_load_staging;
DROP TABLE archive_manifests;
DROP TABLE archived_data;
DROP TABLE extracted_data;
