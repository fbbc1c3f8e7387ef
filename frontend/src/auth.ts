// Amplify v6 against Cognito (locally cognito-local through userPoolEndpoint).
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, type SignInInput } from 'aws-amplify/auth';
import type { RuntimeConfig } from './config';

export function configureAuth(config: RuntimeConfig): void {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.cognito.userPoolId,
        userPoolClientId: config.cognito.clientId,
        ...(config.cognito.endpoint ? { userPoolEndpoint: config.cognito.endpoint } : {}),
        loginWith: { email: true },
        signUpVerificationMethod: 'code',
      },
    },
  });
}

/** The Authenticator's sign-in, with the flow the pool's client allows. */
export function signInWithFlow(config: RuntimeConfig) {
  return (input: SignInInput) =>
    signIn({ ...input, options: { ...input.options, authFlowType: config.cognito.authFlow ?? 'USER_SRP_AUTH' } });
}

export async function accessToken(): Promise<string | undefined> {
  const session = await fetchAuthSession();
  return session.tokens?.accessToken?.toString();
}
