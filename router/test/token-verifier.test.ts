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

describe('access token verifier: the JWKS kept through a key server outage', () => {
  const log = createLogger('test', 'silent');
  const verifiers: Array<{ close(): void }> = [];

  afterAll(() => {
    for (const verifier of verifiers) verifier.close();
  });

  /** A verifier on a clock the test moves, refreshing every 10 minutes and keeping the keys for an hour. */
  function verifier(jwksUrl: string) {
    const clock = { offsetMs: 0 };
    const results: Result[] = [];
    const verify = createTokenVerifier({
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      log,
      verifiedTtlMs: 0,
      jwksRefreshMs: 10 * 60_000,
      jwksStaleMs: 60 * 60_000,
      now: () => Date.now() + clock.offsetMs,
      onResult: (result) => results.push(result),
    });
    verifiers.push(verify);
    return { verify, results, clock };
  }

  const tokenOf = (key: SigningKey, userId: string) =>
    signAccessToken(key, { userId, role: 'CUSTOMER' }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 4 * 3600 }).then((t) => `Bearer ${t.token}`);

  /** Lets the background fetch the verifier started run to its end (a refused connection is quick). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

  it('the JWKS server stopped past its cache age, and signed-in requests still pass', async () => {
    const key = await createSigningKey();
    const server = await startJwksServer([key]);
    const { verify, results, clock } = verifier(server.url);
    await expect(verify(await tokenOf(key, 'before'))).resolves.toEqual({ userId: 'before', role: 'CUSTOMER' });
    await server.stop();

    clock.offsetMs = 11 * 60_000; // past the refresh time: the router tries again, and fails
    await expect(verify(await tokenOf(key, 'during-1'))).resolves.toEqual({ userId: 'during-1', role: 'CUSTOMER' });
    await settle();
    clock.offsetMs = 50 * 60_000; // within the stale limit
    await expect(verify(await tokenOf(key, 'during-2'))).resolves.toEqual({ userId: 'during-2', role: 'CUSTOMER' });
    await settle();
    expect(results).toEqual(['verified', 'verified', 'verified']);
  });

  it('past the stale limit with the server still down, requests get SERVICE_UNAVAILABLE', async () => {
    const key = await createSigningKey();
    const server = await startJwksServer([key]);
    const { verify, results, clock } = verifier(server.url);
    await verify(await tokenOf(key, 'a'));
    await server.stop();
    clock.offsetMs = 61 * 60_000;
    await expect(verify(await tokenOf(key, 'b'))).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(results).toEqual(['verified', 'unavailable']);
  });

  it('refuses a key withdrawn from a JWKS fetched successfully, and takes a new key on its first use', async () => {
    const [oldKey, newKey] = [await createSigningKey(), await createSigningKey()];
    const published = [oldKey];
    const server = await startJwksServer(published);
    try {
      const { verify, results, clock } = verifier(server.url);
      await verify(await tokenOf(oldKey, 'old'));
      published.splice(0, 1, newKey); // rotation: the old key withdrawn, a new one published

      clock.offsetMs = 40_000; // past the 30 s cooldown: the unknown kid fetches the set again
      await expect(verify(await tokenOf(newKey, 'new'))).resolves.toEqual({ userId: 'new', role: 'CUSTOMER' });
      await expect(verify(await tokenOf(oldKey, 'old-again'))).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(results).toEqual(['verified', 'verified', 'refused']);
    } finally {
      await server.stop();
    }
  });

  it('answers SERVICE_UNAVAILABLE, not a refusal, for a new kid it cannot fetch during the outage; known keys still pass', async () => {
    const [known, rotated] = [await createSigningKey(), await createSigningKey()];
    const server = await startJwksServer([known]);
    const { verify, results, clock } = verifier(server.url);
    await verify(await tokenOf(known, 'a'));
    await server.stop();
    clock.offsetMs = 40_000; // past the unknown-kid cooldown
    await expect(verify(await tokenOf(rotated, 'b'))).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    await expect(verify(await tokenOf(known, 'c'))).resolves.toEqual({ userId: 'c', role: 'CUSTOMER' });
    expect(results).toEqual(['verified', 'unavailable', 'verified']);
  });

  it('starts without the key server and verifies once it is up', async () => {
    const port = await freePort();
    const key = await createSigningKey();
    const { verify, results } = verifier(`http://127.0.0.1:${port}/.well-known/jwks.json`);
    await expect(verify(await tokenOf(key, 'x'))).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    const server = await startJwksServer([key], port);
    try {
      await expect(verify(await tokenOf(key, 'y'))).resolves.toEqual({ userId: 'y', role: 'CUSTOMER' });
      expect(results).toEqual(['unavailable', 'verified']);
    } finally {
      await server.stop();
    }
  });
});
