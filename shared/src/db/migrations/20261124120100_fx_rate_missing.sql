-- Up Migration

-- Raised from inside a converting query when a row's day has no exchange rate, so an aggregated result
-- fails before its first row instead of converting at a silent 1.0. The data API turns SQLSTATE TRFX1 into
-- FX_RATE_MISSING naming the day and currency. PARALLEL SAFE: it reads nothing, and a parallel aggregate
-- must stay possible.
CREATE FUNCTION tributary_fx_missing(p_date date, p_currency text, p_target text) RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'TRFX1', MESSAGE = 'fx rate missing', DETAIL = p_date::text || ' ' || p_currency || ' ' || p_target;
END $$;
GRANT EXECUTE ON FUNCTION tributary_fx_missing(date, text, text) TO tributary_app;

-- Down Migration
DROP FUNCTION tributary_fx_missing(date, text, text);
