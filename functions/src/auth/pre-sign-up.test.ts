// Seam: the pre-sign-up trigger as Cognito calls it (the event shape of aws-lambda's PreSignUpTriggerEvent).
import type { PreSignUpTriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from './pre-sign-up';

function event(triggerSource: PreSignUpTriggerEvent['triggerSource'], email?: string): PreSignUpTriggerEvent {
  return {
    version: '1',
    region: 'us-east-1',
    userPoolId: 'us-east-1_pool',
    userName: 'someone',
    callerContext: { awsSdkVersion: '3', clientId: 'client' },
    triggerSource,
    request: { userAttributes: email ? { email } : {} },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  } as PreSignUpTriggerEvent;
}

describe('pre-sign-up trigger', () => {
  it('when a user signs up with an email, it confirms the account and verifies the email', async () => {
    const out = await handler(event('PreSignUp_SignUp', 'a@example.com'));
    expect(out.response).toEqual({ autoConfirmUser: true, autoVerifyEmail: true, autoVerifyPhone: false });
  });

  it('when an administrator creates the user, it confirms but leaves email verification to Cognito', async () => {
    const out = await handler(event('PreSignUp_AdminCreateUser', 'a@example.com'));
    expect(out.response.autoConfirmUser).toBe(true);
    expect(out.response.autoVerifyEmail).toBe(false);
  });
});
