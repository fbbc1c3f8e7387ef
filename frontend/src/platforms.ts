// The platform catalog (GET /api/v1/platforms): how each platform connects, which credential fields an API-key
// form asks for (label, help, masked or not, all declared by the connector), its report types and API version.
// The dashboard has no per-platform code: a new connector appears here by itself.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Json } from './api/client';

export type PlatformInfo = Json<'listPlatforms'>['platforms'][number];
export type CredentialField = PlatformInfo['credential_fields'][number];

export function usePlatforms() {
  return useQuery({
    queryKey: ['platforms'],
    // the catalog changes with a deployment, not while a page is open
    staleTime: 3_600_000,
    queryFn: () => unwrap(api().GET('/api/v1/platforms')),
  });
}

/** The platform's display name; its id while the catalog loads. */
export function platformName(id: string, platforms: readonly PlatformInfo[] | undefined): string {
  return platforms?.find((p) => p.id === id)?.name ?? id;
}
