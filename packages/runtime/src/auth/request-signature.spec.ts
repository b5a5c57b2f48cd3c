import { describe, expect, it } from 'vitest';
import { signRequest, verifyRequest } from './request-signature';

const secret = 'current-secret-current-secret-000';
const previous = 'previous-secret-previous-secret-00';
const body = Buffer.from('{"query":"{ me { id } }"}');
const alice = { userId: 'a7f8a3c4-0000-4000-8000-000000000001', role: 'CUSTOMER' as const };

describe('router request signatures', () => {
  it('verifies the identity, body and time it was made for', () => {
    const headers = signRequest(secret, alice, body);
    expect(verifyRequest([secret], headers, body, 60)).toEqual({ ok: true, identity: alice });
  });

  it('accepts either secret during a rotation', () => {
    expect(verifyRequest([secret, previous], signRequest(previous, alice, body), body, 60).ok).toBe(true);
    expect(verifyRequest([secret], signRequest(previous, alice, body), body, 60).ok).toBe(false);
  });

  it('refuses a changed body, a changed identity and a stale timestamp', () => {
    const headers = signRequest(secret, alice, body);
    expect(verifyRequest([secret], headers, Buffer.from('{}'), 60).ok).toBe(false);
    expect(verifyRequest([secret], { ...headers, 'x-shop-user-role': 'ADMIN' }, body, 60).ok).toBe(false);
    const old = signRequest(secret, alice, body, Date.now() - 120_000);
    expect(verifyRequest([secret], old, body, 60)).toEqual({ ok: false, reason: 'router signature outside the allowed clock skew' });
  });

  it('refuses a request with no signature', () => {
    expect(verifyRequest([secret], {}, body, 60)).toEqual({ ok: false, reason: 'missing router signature' });
  });
});
