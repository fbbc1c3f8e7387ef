import { describe, expect, it } from 'vitest';
import { explainFailure } from './failures';

describe('a failed run in plain words', () => {
  it('asks to reconnect when the platform refused the token, whatever the connector said', () => {
    expect(explainFailure('ConnectorAuthError', 'Meta Ads: session has expired').action).toBe('reconnect');
    // the job's error code alone, as the finalizer stores it, must be enough
    expect(explainFailure('ConnectorAuthError', null).action).toBe('reconnect');
    expect(explainFailure(null, 'invalid_grant').kind).toBe('token_expired');
  });

  it('does not ask to reconnect for throttling or a lost permission', () => {
    expect(explainFailure('RateLimitedError', 'too many calls').action).toBe('wait');
    expect(explainFailure('PermissionDeniedError', 'forbidden').action).toBe('check_access');
  });
});
