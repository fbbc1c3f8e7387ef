// Access-token verification with aws-jwt-verify. In AWS the Cognito verifier derives issuer and JWKS from
// the user pool id. cognito-local issues tokens under its own http:// issuer, which aws-jwt-verify's
// https-only fetcher will not download, so its JWKS is fetched once here and handed to the verifier's cache.
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { TokenVerifier, VerifiedAccessToken } from '../ports/token-verifier';

function toVerified(payload: JwtPayload): VerifiedAccessToken {
  return {
    sub: String(payload.sub),
    username: String(payload.username ?? payload['cognito:username'] ?? payload.sub),
    clientId: String(payload.client_id),
    expiresAt: Number(payload.exp),
  };
}

/** A Cognito user pool in AWS. */
export class CognitoTokenVerifier implements TokenVerifier {
  private verifier: ReturnType<typeof CognitoTokenVerifier.build> | null = null;
  constructor(private readonly options: { userPoolId: string; clientIds: readonly string[] }) {}
  private static build(options: { userPoolId: string; clientIds: readonly string[] }) {
    return CognitoJwtVerifier.create({
      userPoolId: options.userPoolId,
      tokenUse: 'access',
      clientId: [...options.clientIds],
    });
  }
  async verify(accessToken: string): Promise<VerifiedAccessToken> {
    // built on first use: create() rejects a malformed pool id, which must fail requests, not every process that never
    // verifies
    this.verifier ??= CognitoTokenVerifier.build(this.options);
    return toVerified(await this.verifier.verify(accessToken));
  }
}

/**
 * Any issuer with a JWKS that signs Cognito-shaped access tokens (token_use, client_id): cognito-local,
 * and tests that sign their own tokens. `jwks` given up front skips the download.
 */
export class JwksTokenVerifier implements TokenVerifier {
  private readonly verifier;
  private jwksLoaded: Promise<void> | null = null;

  constructor(
    private readonly options: { issuer: string; jwksUri: string; clientIds: readonly string[]; jwks?: Jwks },
  ) {
    const clientIds = new Set(options.clientIds);
    this.verifier = JwtVerifier.create({
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('not an access token');
        if (typeof payload.client_id !== 'string' || !clientIds.has(payload.client_id))
          throw new Error('token of another app client');
      },
    });
    if (options.jwks) {
      this.verifier.cacheJwks(options.jwks);
      this.jwksLoaded = Promise.resolve();
    }
  }

  private loadJwks(): Promise<void> {
    this.jwksLoaded ??= (async () => {
      const response = await fetch(this.options.jwksUri);
      if (!response.ok) throw new Error(`JWKS download failed with ${response.status}`);
      this.verifier.cacheJwks((await response.json()) as Jwks);
    })().catch((error) => {
      this.jwksLoaded = null;
      throw error;
    });
    return this.jwksLoaded;
  }

  async verify(accessToken: string): Promise<VerifiedAccessToken> {
    await this.loadJwks();
    return toVerified(await this.verifier.verify(accessToken));
  }
}
