// Run errors in plain words, with what to do about them.
export interface Explained {
  kind: 'rate_limited' | 'token_expired' | 'permission_denied' | 'not_found' | 'platform_down' | 'other';
  text: string;
  action?: 'reconnect' | 'check_access' | 'wait';
}

export function explainFailure(code: string | null | undefined, message: string | null | undefined): Explained {
  const c = `${code ?? ''} ${message ?? ''}`.toLowerCase();
  if (/rate|throttl|quota|429|too many/.test(c))
    return {
      kind: 'rate_limited',
      text: 'The platform limited how fast we may ask; the run retries later by itself.',
      action: 'wait',
    };
  // ConnectorAuthError: the connector contract's class name for a token the platform refused
  if (/expired|invalid_grant|token|unauthori|401|reauth|connectorautherror/.test(c))
    return {
      kind: 'token_expired',
      text: 'The connection’s sign-in expired or was revoked: reconnect it.',
      action: 'reconnect',
    };
  if (/permission|forbidden|403|access denied|not allowed/.test(c))
    return {
      kind: 'permission_denied',
      text: `The connection may not read this account${message ? ` (${message})` : ''}: check its access on the platform.`,
      action: 'check_access',
    };
  if (/not.?found|404/.test(c))
    return { kind: 'not_found', text: 'The account or report no longer exists on the platform.' };
  if (/5\d\d|unavailable|timeout|timed out|econn/.test(c))
    return { kind: 'platform_down', text: 'The platform did not answer; the run retries later.', action: 'wait' };
  return { kind: 'other', text: message || code || 'The run failed for an unknown reason.' };
}
