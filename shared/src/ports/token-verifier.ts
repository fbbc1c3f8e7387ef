// Verifies a Cognito access token (aws-jwt-verify): the user pool in AWS, cognito-local's JWKS and issuer
// on the local runner. Throws on anything it cannot vouch for: bad signature, expired, other pool or client.
export interface VerifiedAccessToken {
  sub: string;
  username: string;
  clientId: string;
  /** epoch seconds */
  expiresAt: number;
}

export interface TokenVerifier {
  verify(accessToken: string): Promise<VerifiedAccessToken>;
}

/** Maps a verified identity to its users row, creating the row (and a personal organization) on first sight. */
export interface UserResolver {
  resolve(token: VerifiedAccessToken, accessToken: string): Promise<{ userId: string; email: string }>;
}
