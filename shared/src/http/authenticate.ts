// Bearer-token authentication for routes with auth 'user'. Every way a token can be wrong (missing,
// malformed, expired, forged, another pool's) ends in the same 401: telling them apart helps only an attacker.
import type { MiddlewareObj } from '@middy/core';
import { AuthenticationRequiredError } from '../domain/errors';
import type { TokenVerifier, UserResolver } from '../ports/token-verifier';
import { header, requestState, type HttpEvent, type HttpResponse } from './http-event';
import type { AuthMode } from './route';

export function bearerToken(event: HttpEvent): string | undefined {
  const value = header(event, 'authorization');
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

export function authenticate(options: {
  verifier: TokenVerifier;
  users: UserResolver;
  mode: AuthMode;
}): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: async (request) => {
      if (options.mode === 'none') return;
      const token = bearerToken(request.event);
      if (!token) throw new AuthenticationRequiredError();
      let verified;
      try {
        verified = await options.verifier.verify(token);
      } catch {
        throw new AuthenticationRequiredError('The access token is invalid or expired');
      }
      const user = await options.users.resolve(verified, token);
      requestState(request.event).user = {
        userId: user.userId,
        sub: verified.sub,
        email: user.email,
        accessToken: token,
      };
    },
  };
}
