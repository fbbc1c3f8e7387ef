// The OpenAPI 3.1 document, generated from the same route values and zod schemas the handlers validate
// with (@asteasolutions/zod-to-openapi), so the document cannot drift from the behaviour.
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { defineRoute, type Route } from '@tributary/shared/http/route';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import * as z from 'zod';
import type { ApiDeps } from './api-deps';
import * as authRouteValues from './auth/auth.routes';
import * as credentialRouteValues from './credentials/credential.routes';
import * as dataSourceRouteValues from './data-sources/data-source.routes';
import * as memberRouteValues from './members/member.routes';
import * as platformRouteValues from './platforms/platform.routes';
import * as projectRouteValues from './projects/project.routes';
import * as dataRouteValues from './data/data.routes';
import * as webhookRouteValues from './webhooks/webhook.routes';

// registry.register() names a component through the .openapi() method this adds to zod's prototype. It reads
// only ZodType: handing it the whole namespace would make every bundle of this module carry all of zod (its
// 40 locales included), where property reads let esbuild keep only what is used.
extendZodWithOpenApi({ ZodType: z.ZodType } as Pick<typeof z, 'ZodType'> as typeof z);

export const openApiRoute = defineRoute({
  operationId: 'getOpenApiDocument',
  method: 'get',
  path: '/api/v1/openapi.json',
  summary: 'This document',
  tags: ['meta'],
  auth: 'none',
  request: {},
  responses: { 200: { description: 'OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) } },
});

const isRoute = (value: unknown): value is Route =>
  typeof value === 'object' && value !== null && 'operationId' in value && 'path' in value && 'method' in value;

/** Every route of the management API, in one list: the document, the local router and infra read it. */
export const MANAGEMENT_ROUTES: readonly Route[] = [
  ...[
    authRouteValues,
    projectRouteValues,
    memberRouteValues,
    credentialRouteValues,
    dataSourceRouteValues,
    webhookRouteValues,
    dataRouteValues,
    platformRouteValues,
  ].flatMap((m) => Object.values(m).filter(isRoute)),
  openApiRoute,
];

export function buildOpenApiDocument(routes: readonly Route[] = MANAGEMENT_ROUTES) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'cognitoAccessToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const route of routes) {
    const request: Record<string, unknown> = {};
    if (route.request.params) request.params = route.request.params;
    if (route.request.query) request.query = route.request.query;
    if (route.request.body)
      request.body = { required: true, content: { 'application/json': { schema: route.request.body } } };
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { 'application/json': { schema: response.schema } } }
        : { description: response.description };
    }
    registry.registerPath({
      operationId: route.operationId,
      method: route.method,
      path: route.path,
      summary: route.summary,
      tags: [...route.tags],
      ...(route.auth === 'user' ? { security: [{ [bearer.name]: [] }] } : {}),
      request: request as never,
      responses: responses as never,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tributary management API',
      version: '1.0.0',
      description: 'Identity, projects, members, credentials and data sources.',
    },
    servers: [{ url: '/' }],
  });
}

let cached: ReturnType<typeof buildOpenApiDocument> | null = null;

export function openApiRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    {
      route: openApiRoute,
      handler: httpHandler(
        openApiRoute,
        async () => {
          cached ??= buildOpenApiDocument();
          return { status: 200, body: cached };
        },
        deps,
      ),
    },
  ];
}
