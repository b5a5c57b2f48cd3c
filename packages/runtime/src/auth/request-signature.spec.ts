import { describe, expect, it } from 'vitest';
import { signRequest, verifyRequest } from './request-signature';

const secret = 'current-secret-current-secret-000';
const previous = 'previous-secret-previous-secret-00';
const body = Buffer.from('{"query":"{ me { id } }"}');
const alice = { userId: 'a7f8a3c4-0000-4000-8000-000000000001', role: 'CUSTOMER' as const };
const verify = (headers: Record<string, string>, overrides: Partial<Parameters<typeof verifyRequest>[1]> = {}, secrets = [secret]) =>
  verifyRequest(secrets, { audience: 'user', method: 'POST', headers, body, maxSkewSeconds: 60, ...overrides });

describe('router request signatures', () => {
  it('verifies the identity, body and time it was made for', () => {
    expect(verify(signRequest(secret, { audience: 'user', identity: alice, body }))).toEqual({ ok: true, identity: alice });
  });

  it('hands subgraphs the caller in one form: the user id lowercased, as Postgres prints uuids', () => {
    const shouting = { userId: alice.userId.toUpperCase(), role: 'ADMIN' as const };
    expect(verify(signRequest(secret, { audience: 'user', identity: shouting, body }))).toEqual({
      ok: true,
      identity: { userId: alice.userId, role: 'ADMIN' },
    });
    expect(verify(signRequest(secret, { audience: 'user', identity: null, body }))).toEqual({ ok: true, identity: null });
  });

  it('refuses a signed identity that names no valid user id or role', () => {
    for (const identity of [
      { userId: 'user-1', role: 'CUSTOMER' },
      { userId: alice.userId, role: 'ROOT' },
      { userId: '', role: 'ADMIN' },
    ]) {
      const headers = signRequest(secret, { audience: 'user', identity: identity as typeof alice, body });
      expect(verify(headers), JSON.stringify(identity)).toEqual({ ok: false, reason: 'malformed identity' });
    }
  });

  it('accepts either secret during a rotation', () => {
    const signed = signRequest(previous, { audience: 'user', identity: alice, body });
    expect(verify(signed, {}, [secret, previous]).ok).toBe(true);
    expect(verify(signed).ok).toBe(false);
  });

  it('refuses a changed body, a changed identity, another subgraph, a GET and a stale timestamp', () => {
    const headers = signRequest(secret, { audience: 'user', identity: alice, body });
    expect(verify(headers, { body: Buffer.from('{}') }).ok).toBe(false);
    expect(verify({ ...headers, 'x-shop-user-role': 'ADMIN' }).ok).toBe(false);
    expect(verify(headers, { audience: 'order' }).ok).toBe(false);
    expect(verify(headers, { method: 'GET' })).toEqual({ ok: false, reason: 'only POST requests can be signed' });
    const old = signRequest(secret, { audience: 'user', identity: alice, body, now: Date.now() - 120_000 });
    expect(verify(old)).toEqual({ ok: false, reason: 'router signature outside the allowed clock skew' });
  });

  it('refuses a signature dated more than 5 s ahead, so a captured request replays for the skew at most', () => {
    const at = (offsetMs: number) => signRequest(secret, { audience: 'user', identity: alice, body, now: Date.now() + offsetMs });
    expect(verify(at(4_000)).ok).toBe(true);
    expect(verify(at(7_000))).toEqual({ ok: false, reason: 'router signature outside the allowed clock skew' });
    expect(verify(at(59_000)).ok).toBe(false);
    expect(verify(at(-59_000)).ok).toBe(true);
  });

  it('refuses a request with no signature', () => {
    expect(verify({})).toEqual({ ok: false, reason: 'missing router signature' });
  });
});
