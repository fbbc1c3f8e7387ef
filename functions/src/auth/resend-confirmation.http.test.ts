// Seam: POST /auth/resend through real HTTP. It answers 202 the same way whether the address has an account,
// is already confirmed, or is unknown (nothing to enumerate accounts with), and never 500: a deployment that
// confirms sign-ups itself (local, auto-confirm) has no code to send. Found by the reliability fuzz figure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../testing/api-harness';
import * as authR from './auth.routes';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('resending the confirmation code', () => {
  it('when the address is confirmed, differs in case, or has no account, the answer is the same 202', async () => {
    const email = `resend-${Date.now()}@example.com`;
    await h.signUp(email);
    const answers = [];
    for (const address of [email, email.toUpperCase(), `nobody-${Date.now()}@example.com`]) {
      const r = await h.call(authR.resendRoute, { body: { email: address } });
      answers.push({ status: r.status, body: r.body });
    }
    expect(answers).toEqual([0, 1, 2].map(() => ({ status: 202, body: { accepted: true } })));
  });
});
