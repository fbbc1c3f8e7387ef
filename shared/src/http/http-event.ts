// The event every HTTP handler receives: API Gateway HTTP API payload 2.0 (the local runner builds the
// same shape), plus what the middlewares learned about it on the way in.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Who is calling, once authenticate() has verified the access token and found the users row. */
export interface AuthenticatedUser {
  /** users.id */
  userId: string;
  /** the Cognito subject */
  sub: string;
  email: string;
  /** the bearer token itself, for the few calls Cognito takes it for (GetUser, GlobalSignOut, ChangePassword) */
  accessToken: string;
}

export interface RequestState {
  user?: AuthenticatedUser;
  /** the caller's access to the route's project or organization, once scoped-handler.ts has checked it */
  access?: { param: 'project_id' | 'organization_id'; id: string; granted: unknown };
  input?: { params: unknown; query: unknown; body: unknown };
  /** added to the response, success or error (CORS, rate-limit headers) */
  responseHeaders: Record<string, string>;
}

export interface HttpEvent extends APIGatewayProxyEventV2 {
  tributary?: RequestState;
}

export type HttpResponse = APIGatewayProxyStructuredResultV2;

export function requestState(event: HttpEvent): RequestState {
  event.tributary ??= { responseHeaders: {} };
  return event.tributary;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return (
    headers[name.toLowerCase()] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
  );
}
