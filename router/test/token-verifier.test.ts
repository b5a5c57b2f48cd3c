import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, signAccessToken, type SigningKey } from '@shop/runtime';
import { freePort } from '@shop/testing';
import { createTokenVerifier, type TokenVerifierOptions } from '../src/token-verifier';
import { AUDIENCE, createSigningKey, ISSUER, startJwksServer } from './fixtures';

type Result = Parameters<NonNullable<TokenVerifierOptions['onResult']>>[0];

describe('access token verifier: verified tokens remembered', () => {
  let key: SigningKey;
  let jwksServer: Awaited<ReturnType<typeof startJwksServer>>;

  beforeAll(async () => {
    key = await createSigningKey();
    jwksServer = await startJwksServer([key]);
  });

  afterAll(async () => {
    await jwksServer?.stop();
  });

  /** A verifier on a clock the test moves, and the results it reported. */
  function verifier(options: Partial<TokenVerifierOptions> = {}) {
    const clock = { offsetMs: 0 };
    const results: Result[] = [];
    const verify = createTokenVerifier({
      jwksUrl: jwksServer.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      log: createLogger('test', 'silent'),
      now: () => Date.now() + clock.offsetMs,
      onResult: (result) => results.push(result),
      ...options,
    });
    return { verify, results, clock };
  }

  const token = (userId: string, ttlSeconds = 300) =>
    signAccessToken(key, { userId, role: 'CUSTOMER' }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds }).then((t) => `Bearer ${t.token}`);

  it('verifies a token once, then takes it from memory with the same identity', async () => {
    const { verify, results } = verifier();
    const bearer = await token('user-1');
    const first = await verify(bearer);
    const second = await verify(bearer);
    expect(first).toEqual({ userId: 'user-1', role: 'CUSTOMER' });
    expect(second).toEqual(first);
    expect(results).toEqual(['verified', 'remembered']);
  });

  it('never serves a token that differs from a remembered one, even by its signature alone', async () => {
    const { verify, results } = verifier();
    const bearer = await token('user-2');
    await verify(bearer);
    const last = bearer.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${bearer.slice(0, -2)}${last}${bearer.at(-1)}`;
    await expect(verify(tampered)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(results).toEqual(['verified', 'refused']);
  });

  it('refuses a remembered token once it expires', async () => {
    const { verify, results, clock } = verifier({ verifiedTtlMs: 10 * 60_000 });
    const bearer = await token('user-3', 30);
    await verify(bearer);
    clock.offsetMs = 40_000; // past exp (30 s) and the 5 s clock tolerance
    await expect(verify(bearer)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token has expired.' });
    expect(results).toEqual(['verified', 'refused']);
  });

  it('checks the signature again after the remembered time', async () => {
    const { verify, results, clock } = verifier({ verifiedTtlMs: 60_000 });
    const bearer = await token('user-4');
    await verify(bearer);
    await verify(bearer);
    clock.offsetMs = 61_000;
    await expect(verify(bearer)).resolves.toEqual({ userId: 'user-4', role: 'CUSTOMER' });
    expect(results).toEqual(['verified', 'remembered', 'verified']);
  });

  it('remembers at most the configured number of tokens, dropping the oldest', async () => {
    const { verify, results } = verifier({ verifiedMaxEntries: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => token(id)));
    for (const bearer of [a, b, c, c, b, a]) await verify(bearer!);
    expect(results).toEqual(['verified', 'verified', 'verified', 'remembered', 'remembered', 'verified']);
  });

  it('counts a token it could not check, for want of the key set, as unavailable', async () => {
    const { verify, results } = verifier({ jwksUrl: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json` });
    await expect(verify(await token('user-6'))).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(results).toEqual(['unavailable']);
  });

  it('remembers nothing when the remembered time is zero', async () => {
    const { verify, results } = verifier({ verifiedTtlMs: 0 });
    const bearer = await token('user-5');
    await verify(bearer);
    await verify(bearer);
    expect(results).toEqual(['verified', 'verified']);
  });
});
