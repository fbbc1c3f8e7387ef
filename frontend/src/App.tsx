// The shell: the Amplify Authenticator in front of everything, then the router. Pages load lazily so the
// first screen sends little JavaScript (charts come with the pages that draw them).
import { Authenticator } from '@aws-amplify/ui-react';
import '@aws-amplify/ui-react/styles.css';
import { QueryClientProvider } from '@tanstack/react-query';
import { signOut } from 'aws-amplify/auth';
import { Suspense, useCallback } from 'react';
import { api, unwrap } from './api/client';
import { signInWithFlow } from './auth';
import type { RuntimeConfig } from './config';
import { SignedIn } from './lazy';
import { queryClient } from './queryClient';

/** Sign-up goes through the API, which creates the account in the pool and (locally) confirms it at once. */
function authServices(config: RuntimeConfig) {
  return {
    handleSignIn: signInWithFlow(config),
    async handleSignUp(input: { username: string; password: string }) {
      const result = await unwrap(
        api().POST('/api/v1/auth/register', { body: { email: input.username, password: input.password } }),
      );
      return !result.confirmation_required
        ? { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' as const } }
        : {
            isSignUpComplete: false,
            nextStep: {
              signUpStep: 'CONFIRM_SIGN_UP' as const,
              codeDeliveryDetails: { deliveryMedium: 'EMAIL' as const, destination: input.username },
            },
          };
    },
    async handleConfirmSignUp(input: { username: string; confirmationCode: string }) {
      await unwrap(
        api().POST('/api/v1/auth/confirm', { body: { email: input.username, code: input.confirmationCode } }),
      );
      return { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' as const } };
    },
  };
}

export function App({ config }: { config: RuntimeConfig }) {
  const doSignOut = useCallback(() => {
    queryClient.clear();
    void signOut();
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <Authenticator
        loginMechanisms={['email']}
        services={authServices(config) as never}
        components={{ Header: AuthHeader }}
      >
        {() => (
          <Suspense fallback={<p role="status">Loading…</p>}>
            <SignedIn onSignOut={doSignOut} />
          </Suspense>
        )}
      </Authenticator>
    </QueryClientProvider>
  );
}

function AuthHeader() {
  return (
    <header style={{ textAlign: 'center', padding: '32px 0 8px' }}>
      <h1 style={{ margin: 0, fontFamily: 'sans-serif' }}>Tributary</h1>
    </header>
  );
}
