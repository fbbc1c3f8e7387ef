// Covers the ECB loader against the ECB sandbox and the real PostgreSQL: published days as published,
// weekends and holidays carried from the last publication, an idempotent second run, a transient 503
// retried, and a malformed answer refused without writing anything.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControl, type RunningSandbox } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { startEcbSandbox } from '@tributary/connectors/sandboxes/ecb/ecb-sandbox';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { FxSourceError, parseEcbEnvelope, refreshFxRates } from './fx-rates';

let t: TestDatabase;
let admin: pg.Client;
let ecb: RunningSandbox;
// Wednesday 2026-04-08, 18:00 UTC: the ECB has published today; Good Friday (04-03) and Easter Monday (04-06) were
// holidays
const NOW = new Date('2026-04-08T18:00:00Z');

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  ecb = await startEcbSandbox({ now: () => NOW });
});
afterAll(async () => {
  await ecb?.stop();
  await admin?.end();
  await t?.drop();
});

const rate = async (date: string, currency: string) =>
  (
    await admin.query(
      `SELECT rate::text, source FROM fx_rates WHERE rate_date = $1 AND base_currency = 'EUR' AND quote_currency = $2`,
      [date, currency],
    )
  ).rows[0];

describe('refreshFxRates', () => {
  it('when run, it stores every published rate as published and carries the last one over weekends and holidays', async () => {
    const result = await refreshFxRates(t.db, { baseUrl: ecb.url, through: '2026-04-09', sleep: async () => {} });
    expect(result.lastPublished).toBe('2026-04-08');
    const control = new SandboxControl(ecb.url);
    const truth = (await control.truth({ date: '2026-04-02' })) as { rates: Record<string, string> };
    expect(await rate('2026-04-02', 'USD')).toEqual({ rate: Number(truth.rates.USD).toFixed(10), source: 'ecb' });
    // Good Friday, the weekend and Easter Monday carry Thursday's rate
    for (const day of ['2026-04-03', '2026-04-04', '2026-04-05', '2026-04-06']) {
      expect(await rate(day, 'USD')).toEqual({ rate: Number(truth.rates.USD).toFixed(10), source: 'ecb-carried' });
    }
    // tomorrow is not published yet: today's rate is carried to it
    const today = (await control.truth({ date: '2026-04-08' })) as { rates: Record<string, string> };
    expect(await rate('2026-04-09', 'JPY')).toEqual({
      rate: Number(today.rates.JPY).toFixed(10),
      source: 'ecb-carried',
    });
    const days = await admin.query(`SELECT count(DISTINCT rate_date)::int AS n FROM fx_rates`);
    expect(days.rows[0].n).toBeGreaterThanOrEqual(89);
  });

  it('when run twice, the second run rewrites nothing', async () => {
    const again = await refreshFxRates(t.db, { baseUrl: ecb.url, through: '2026-04-09', sleep: async () => {} });
    expect(again.rowsWritten).toBe(0);
  });

  it('when the ECB answers 503 once, it retries and succeeds', async () => {
    const control = new SandboxControl(ecb.url);
    await control.arm({ kind: 'server_error', times: 1 });
    const result = await refreshFxRates(t.db, { baseUrl: ecb.url, through: '2026-04-09', sleep: async () => {} });
    expect(result.publications).toBeGreaterThan(50);
  });

  it('when the answer is not a eurofxref envelope, it refuses it with a clear error', () => {
    expect(() => parseEcbEnvelope('<html><body>maintenance</body></html>')).toThrow(FxSourceError);
    expect(() =>
      parseEcbEnvelope(
        `<gesmes:Envelope xmlns:gesmes="x"><Cube><Cube time='2026-01-05'><Cube currency='USD' rate='-1'/></Cube></Cube></gesmes:Envelope>`,
      ),
    ).toThrow(/malformed rate/);
  });
});
