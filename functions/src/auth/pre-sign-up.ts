// Cognito's pre-sign-up trigger for environments that auto-confirm registrations (infra/lib/identity.ts
// attaches it only where EnvironmentSettings.identity.autoConfirmSignUp is on). It confirms the account and
// marks the email verified, so a script can register and log in at once, as it can on the local runner.
import type { PreSignUpTriggerEvent } from 'aws-lambda';

export function autoConfirm(event: PreSignUpTriggerEvent): PreSignUpTriggerEvent {
  event.response.autoConfirmUser = true;
  // only an address the user typed in: an admin-created or external-provider sign-up keeps Cognito's default
  if (event.triggerSource === 'PreSignUp_SignUp' && event.request.userAttributes.email)
    event.response.autoVerifyEmail = true;
  return event;
}

export const handler = async (event: PreSignUpTriggerEvent): Promise<PreSignUpTriggerEvent> => autoConfirm(event);
