// The platform catalog: every platform Tributary knows, from the connector registry (the built ones) and the
// platform list (the rest, marked unavailable). Read by the dashboard's connect screen; no database.
import * as z from 'zod';
import type { Connector } from '@tributary/connectors/contract';
import { PLATFORMS, PLATFORM_DISPLAY_NAMES, type Platform } from '@tributary/shared/domain/platform';
import { httpHandler } from '@tributary/shared/http/http-handler';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { listPlatformsRoute } from './platform.routes';
import type { PlatformInfo } from './platform.schemas';

/** `shop_domain` or `shopDomain` → `Shop domain`, for a field the connector gave no title */
const humanize = (name: string) =>
  name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());

/** The credential schema's fields as a form asks for them, from the zod metadata the connector declares. */
function credentialFields(schema: unknown, only: readonly string[]): PlatformInfo['credential_fields'] {
  if (!(schema instanceof z.ZodObject))
    return only.map((name) => ({
      name,
      required: true,
      label: humanize(name),
      description: null,
      secret: false,
      options: null,
    }));
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape)
    .filter(([name]) => only.includes(name))
    .map(([name, field]) => {
      const inner =
        field instanceof z.ZodOptional || field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
      const meta = { ...(inner.meta() ?? {}), ...(field.meta() ?? {}) };
      return {
        name,
        required: !field.safeParse(undefined).success,
        label: meta.title ?? humanize(name),
        description: meta.description ?? null,
        secret: meta.secret ?? false,
        options: inner instanceof z.ZodEnum ? (inner.options as string[]) : null,
      };
    });
}

export function platformInfo(platform: Platform, connector: Connector<unknown> | undefined): PlatformInfo {
  if (!connector) {
    return {
      id: platform,
      name: PLATFORM_DISPLAY_NAMES[platform],
      available: false,
      auth_kind: null,
      connect_methods: [],
      scopes: [],
      credential_fields: [],
      oauth_start_fields: [],
      report_types: [],
      api_version: null,
      api_sunset: null,
    };
  }
  const { auth } = connector;
  const keyFields = auth.kind === 'api_key' ? auth.fields : auth.keyFields;
  return {
    id: platform,
    name: connector.displayName,
    available: true,
    auth_kind: auth.kind,
    connect_methods:
      auth.kind === 'api_key' ? ['api_key'] : ['oauth2', ...(auth.keyFields ? (['api_key'] as const) : [])],
    scopes: auth.kind === 'oauth2' ? [...auth.scopes] : [],
    credential_fields: keyFields ? credentialFields(connector.credentialSchema, keyFields) : [],
    oauth_start_fields:
      auth.kind === 'oauth2' && auth.startFields ? credentialFields(connector.credentialSchema, auth.startFields) : [],
    report_types: connector.reportTypes.map((r) => ({
      id: r.id,
      name: r.name,
      dimensions: [...r.dimensions],
      metrics: [...r.metrics],
      lookback_days: r.lookbackDays,
    })),
    api_version: connector.apiVersion.version,
    api_sunset: connector.apiVersion.sunset,
  };
}

export function platformRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    {
      route: listPlatformsRoute,
      handler: httpHandler(
        listPlatformsRoute,
        async () => ({
          status: 200,
          body: { platforms: PLATFORMS.map((p) => platformInfo(p, deps.findConnector(p))) },
        }),
        deps,
      ),
    },
  ];
}
