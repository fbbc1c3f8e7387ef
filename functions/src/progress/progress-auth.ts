// Who may watch which runs: the Cognito access token of the WebSocket handshake (in Sec-WebSocket-Protocol,
// offered next to the "tributary" subprotocol, or in a `token` query parameter, the two places an API
// Gateway WebSocket authorizer can read), and the organizations its user is a member of. Shared by the
// local WebSocket server and the $connect authorizer Lambda.
import type { Database } from '@tributary/shared/db/database';
import type { TokenVerifier, UserResolver } from '@tributary/shared/ports/token-verifier';

export const PROGRESS_SUBPROTOCOL = 'tributary';

export interface ProgressAuthDeps {
  db: Database;
  verifier: TokenVerifier;
  users: UserResolver;
}

export interface ProgressSubscriber {
  userId: string;
  organizationIds: string[];
}

export class ProgressAuthError extends Error {
  constructor(
    readonly code: 'AUTHENTICATION_REQUIRED' | 'AUTHORIZATION_FAILED',
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The offered subprotocols other than ours: a JWT is a valid HTTP token, so a browser can offer it there. */
export function tokenFromHandshake(
  protocolHeader: string | undefined,
  query: URLSearchParams | Record<string, string | undefined> | undefined,
): string | undefined {
  const offered = (protocolHeader ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p && p !== PROGRESS_SUBPROTOCOL);
  if (offered.length > 0) return offered[0];
  const fromQuery = query instanceof URLSearchParams ? query.get('token') : query?.token;
  return fromQuery || undefined;
}

/** Verifies the token and returns its user's organizations; throws ProgressAuthError on anything else. */
export async function authorizeSubscriber(
  deps: ProgressAuthDeps,
  token: string | undefined,
): Promise<ProgressSubscriber> {
  if (!token)
    throw new ProgressAuthError(
      'AUTHENTICATION_REQUIRED',
      'An access token is required (Sec-WebSocket-Protocol or the token query parameter)',
    );
  let verified;
  try {
    verified = await deps.verifier.verify(token);
  } catch {
    throw new ProgressAuthError('AUTHENTICATION_REQUIRED', 'The access token is invalid or expired');
  }
  const { userId } = await deps.users.resolve(verified, token);
  const rows = await deps.db.transaction({ userId }, (trx) =>
    trx.selectFrom('memberships').select('organizationId').where('userId', '=', userId).execute(),
  );
  const organizationIds = rows.map((r) => r.organizationId);
  if (organizationIds.length === 0)
    throw new ProgressAuthError('AUTHORIZATION_FAILED', 'The user belongs to no organization');
  return { userId, organizationIds };
}
