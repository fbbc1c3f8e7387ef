// Covers the Amazon Ads sandbox's wire format with plain HTTP, as Amazon's documentation describes it
// (PLATFORMS.md §6): ids as bare JSON numbers, the v3 error body, the 425 duplicate naming the running report,
// reports that complete after N status reads, and a presigned download that refuses any Amazon header.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControl } from '../base/sandbox-server';
import { AMAZON_DEMO_CLIENT, AMAZON_SANDBOX_PROFILES, startAmazonSandbox, type AmazonSandbox } from './amazon-sandbox';

let sandbox: AmazonSandbox;
let token: string;
const EU = AMAZON_SANDBOX_PROFILES[1]!;

const headers = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  'amazon-advertising-api-clientid': AMAZON_DEMO_CLIENT.clientId,
  ...extra,
});
const createBody = {
  name: 'x',
  startDate: '2026-11-01',
  endDate: '2026-11-20',
  configuration: {
    adProduct: 'SPONSORED_BRANDS',
    reportTypeId: 'sbCampaigns',
    groupBy: ['campaign'],
    columns: ['date', 'campaignId', 'cost', 'purchases', 'sales'],
    timeUnit: 'DAILY',
    format: 'GZIP_JSON',
  },
};
const create = () =>
  fetch(`${sandbox.url}/eu/reporting/reports`, {
    method: 'POST',
    headers: headers({
      'amazon-advertising-api-scope': EU.profileId,
      'content-type': 'application/vnd.createasyncreportrequest.v3+json',
    }),
    body: JSON.stringify(createBody),
  });

beforeAll(async () => {
  sandbox = await startAmazonSandbox({ today: '2026-11-23', pendingPolls: 1 });
  const res = await fetch(`${sandbox.url}/lwa/eu/auth/o2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: sandbox.demoRefreshToken,
      client_id: AMAZON_DEMO_CLIENT.clientId,
      client_secret: AMAZON_DEMO_CLIENT.clientSecret,
    }).toString(),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('Amazon Ads sandbox wire format', () => {
  it('when profiles are listed on a region host, only that region answers, with profileId a bare number', async () => {
    const text = await (await fetch(`${sandbox.url}/eu/v2/profiles`, { headers: headers() })).text();
    expect(text).toContain(`"profileId":${EU.profileId},`);
    expect((JSON.parse(text) as { countryCode: string }[]).map((p) => p.countryCode)).toEqual(['ES', 'UK']);
  });

  it('when a report is created twice while it runs, the second answer is 425 naming the first; it completes after its status reads and downloads only without Amazon headers', async () => {
    const first = (await (await create()).json()) as { reportId: string; status: string };
    expect(first.status).toBe('PENDING');
    const dup = await create();
    expect(dup.status).toBe(425);
    expect(await dup.json()).toEqual({ code: '425', detail: `The Request is a duplicate of : ${first.reportId}` });
    const poll = async () =>
      (await (
        await fetch(`${sandbox.url}/eu/reporting/reports/${first.reportId}`, {
          headers: headers({ 'amazon-advertising-api-scope': EU.profileId }),
        })
      ).json()) as { status: string; url: string | null };
    expect((await poll()).status).toBe('PROCESSING');
    const done = await poll();
    expect(done.status).toBe('COMPLETED');
    // S3 refuses a second auth mechanism
    const withAuth = await fetch(done.url!, { headers: headers() });
    expect(withAuth.status).toBe(400);
    expect(await withAuth.text()).toContain('<Code>InvalidArgument</Code>');
    const file = await fetch(done.url!);
    const text = gunzipSync(Buffer.from(await file.arrayBuffer())).toString('utf8');
    // Sponsored Brands ids are 16 digits past 2^53, written as bare numbers
    const ids = [...text.matchAll(/"campaignId":(\d+)/g)].map((m) => m[1]!);
    expect(ids.every((id) => BigInt(id) > 2n ** 53n)).toBe(true);
    // a float parse changes some of them
    expect(ids.some((id) => String(Number(id)) !== id)).toBe(true);
    const truth = await new SandboxControl(sandbox.url).truth<{ rows: number }>({
      profile: EU.profileId,
      reportType: 'sb_campaign_daily',
      from: '2026-11-01',
      to: '2026-11-20',
    });
    expect((JSON.parse(text) as unknown[]).length).toBe(truth.rows);
  });

  it('when a request is wrong, the v3 error body says why: unknown columns, more than 31 days, older than retention, a scope of another region', async () => {
    const bad = async (body: unknown, scope = EU.profileId) => {
      const res = await fetch(`${sandbox.url}/eu/reporting/reports`, {
        method: 'POST',
        headers: headers({
          'amazon-advertising-api-scope': scope,
          'content-type': 'application/vnd.createasyncreportrequest.v3+json',
        }),
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { code: string; detail: string } };
    };
    expect(
      await bad({ ...createBody, configuration: { ...createBody.configuration, columns: ['date', 'purchases7d'] } }),
    ).toMatchObject({
      status: 400,
      body: { code: '400', detail: expect.stringContaining('[purchases7d] are invalid') },
    });
    expect(await bad({ ...createBody, startDate: '2026-10-01' })).toMatchObject({
      status: 400,
      body: { detail: expect.stringContaining('exceeds the maximum of 31 days') },
    });
    expect(await bad({ ...createBody, startDate: '2026-08-01', endDate: '2026-08-20' })).toMatchObject({
      status: 400,
      body: { detail: expect.stringContaining('retention') },
    });
    expect(await bad(createBody, AMAZON_SANDBOX_PROFILES[0]!.profileId)).toMatchObject({ status: 403 });
  });
});
