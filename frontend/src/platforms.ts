// The platform catalog (GET /api/v1/platforms, added by the connectors work): how each platform connects,
// which credential fields an API-key form asks for, its report types and API version. Until that route
// answers, a built-in list of the platforms and how they authenticate stands in.
import { useQuery } from '@tanstack/react-query';
import { ApiError, rawCall } from './api/client';

export interface CredentialField {
  name: string;
  label: string;
  secret?: boolean;
  required?: boolean;
  description?: string;
}

export interface PlatformInfo {
  id: string;
  name: string;
  auth_kind: 'oauth2' | 'api_key' | 'service_account';
  credential_fields: CredentialField[];
  report_types: { id: string; name: string; description?: string }[];
  api_version?: string | null;
  sunset_date?: string | null;
  available?: boolean;
}

const FALLBACK: PlatformInfo[] = [
  { id: 'google_ads', name: 'Google Ads', auth_kind: 'oauth2', credential_fields: [], report_types: [{ id: 'campaign_daily', name: 'Campaigns by day' }] },
  { id: 'meta_ads', name: 'Meta Ads', auth_kind: 'oauth2', credential_fields: [], report_types: [{ id: 'campaign_insights', name: 'Campaign insights by day' }] },
  { id: 'ga4', name: 'Google Analytics 4', auth_kind: 'oauth2', credential_fields: [], report_types: [] },
  { id: 'instagram', name: 'Instagram', auth_kind: 'oauth2', credential_fields: [], report_types: [] },
  { id: 'shopify', name: 'Shopify', auth_kind: 'api_key', credential_fields: [{ name: 'shop_domain', label: 'Shop domain (name.myshopify.com)', required: true }, { name: 'access_token', label: 'Admin API access token', secret: true, required: true }], report_types: [] },
  { id: 'klaviyo', name: 'Klaviyo', auth_kind: 'api_key', credential_fields: [{ name: 'api_key', label: 'Private API key', secret: true, required: true }], report_types: [] },
  { id: 'metricool', name: 'Metricool', auth_kind: 'api_key', credential_fields: [{ name: 'user_token', label: 'User token', secret: true, required: true }, { name: 'user_id', label: 'User id', required: true }], report_types: [] },
  { id: 'amazon_ads', name: 'Amazon Ads', auth_kind: 'oauth2', credential_fields: [], report_types: [{ id: 'sp_campaign_daily', name: 'Sponsored Products campaigns by day' }, { id: 'sb_campaign_daily', name: 'Sponsored Brands campaigns by day' }, { id: 'sd_campaign_daily', name: 'Sponsored Display campaigns by day' }] },
];

interface CatalogResponse {
  platforms: Partial<PlatformInfo>[];
}

/** Normalizes the catalog's entries (field names may differ while the route settles). */
function normalize(p: Partial<PlatformInfo> & Record<string, unknown>): PlatformInfo {
  const fallback = FALLBACK.find((f) => f.id === p.id);
  const fields = (p.credential_fields ?? (p.credentialFields as CredentialField[] | undefined) ?? fallback?.credential_fields ?? []).map((f) =>
    typeof f === 'string' ? { name: f, label: f, required: true, secret: /token|key|secret|password/.test(f) } : f,
  );
  const reports = (p.report_types ?? (p.reportTypes as PlatformInfo['report_types'] | undefined) ?? fallback?.report_types ?? []).map((r) =>
    typeof r === 'string' ? { id: r, name: r } : r,
  );
  return {
    id: String(p.id),
    name: p.name ?? fallback?.name ?? String(p.id),
    auth_kind: (p.auth_kind ?? (p.authKind as PlatformInfo['auth_kind'] | undefined) ?? fallback?.auth_kind ?? 'api_key') as PlatformInfo['auth_kind'],
    credential_fields: fields,
    report_types: reports,
    api_version: (p.api_version ?? (p.pinned_version as string | undefined) ?? null) as string | null,
    sunset_date: p.sunset_date ?? null,
    available: p.available ?? true,
  };
}

export function usePlatforms() {
  return useQuery({
    queryKey: ['platforms'],
    staleTime: 3_600_000,
    queryFn: async (): Promise<{ platforms: PlatformInfo[]; fromApi: boolean }> => {
      try {
        const res = await rawCall<CatalogResponse>('GET', '/api/v1/platforms');
        return { platforms: res.platforms.map((p) => normalize(p as Partial<PlatformInfo> & Record<string, unknown>)), fromApi: true };
      } catch (error) {
        // while the route is absent the local API's 404 carries no CORS header, so the browser sees a network error
        if (!(error instanceof ApiError) || error.status === 404 || error.status === 501) return { platforms: FALLBACK, fromApi: false };
        throw error;
      }
    },
  });
}

export function platformName(id: string, platforms: PlatformInfo[] | undefined): string {
  return platforms?.find((p) => p.id === id)?.name ?? FALLBACK.find((p) => p.id === id)?.name ?? id;
}
