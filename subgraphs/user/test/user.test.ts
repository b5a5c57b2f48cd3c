import { createHash, randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, eventually, subgraphRequest, type GraphQLResponse } from '@shop/testing';
import type { Identity } from '@shop/runtime';
import type { UserApp } from '../src/app';
import { LOG_IN, LOG_OUT, REFRESH, SIGN_UP, startUserApp, uniqueEmail, USER_FIELDS } from './helpers';

const run = createTestRun();
let app: UserApp;
const admin: Identity = { userId: randomUUID(), role: 'ADMIN' };
const PASSWORD = 'correct-horse-battery';

beforeAll(async () => {
  app = await startUserApp(run);
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

interface Payload {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; email: string; name: string; role: string; createdAt: string };
}

async function signUp(input: { email?: string; password?: string; name?: string } = {}): Promise<Payload> {
  const res = await subgraphRequest(app.url, SIGN_UP, { input: { email: uniqueEmail('user'), password: PASSWORD, name: 'Test User', ...input } });
  expect(res.errors).toBeUndefined();
  return res.data.signUp;
}

const logIn = (email: string, password: string) => subgraphRequest(app.url, LOG_IN, { input: { email, password } });
const refresh = (token: string) => subgraphRequest(app.url, REFRESH, { token });
const identityOf = (payload: Payload): Identity => ({ userId: payload.user.id, role: 'CUSTOMER' });
const codes = (res: GraphQLResponse) => res.errors?.map((e) => e.extensions?.code);
const sessionKey = (token: string) => `user:session:v1:${createHash('sha256').update(token).digest('hex')}`;

describe('sign up, log in, refresh, log out', () => {
  it('signs up with a normalised email and returns a session for a CUSTOMER', async () => {
    const email = uniqueEmail('Mixed.Case');
    const payload = await signUp({ email: `  ${email.toUpperCase()} `, name: '  Sam Sample  ' });
    expect(payload.user).toMatchObject({ email: email.toLowerCase(), name: 'Sam Sample', role: 'CUSTOMER' });
    expect(payload.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(payload.expiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(payload.expiresAt)).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it('logs in with the right password, whatever the email case', async () => {
    const email = uniqueEmail('login');
    const { user } = await signUp({ email });
    const res = await logIn(email.toUpperCase(), PASSWORD);
    expect(res.errors).toBeUndefined();
    expect(res.data.logIn.user).toMatchObject({ id: user.id, email });
  });

  it('rotates the refresh token: the new one works, the old one is refused', async () => {
    const first = await signUp();
    const rotated = await refresh(first.refreshToken);
    expect(rotated.errors).toBeUndefined();
    expect(rotated.data.refreshSession.user).toEqual({ id: first.user.id, role: 'CUSTOMER' });
    expect(rotated.data.refreshSession.refreshToken).not.toBe(first.refreshToken);

    const replay = await refresh(first.refreshToken);
    expect(replay.data).toBeNull();
    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);

    const again = await refresh(rotated.data.refreshSession.refreshToken);
    expect(again.errors).toBeUndefined();
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const { refreshToken } = await signUp();
    const results = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(results.flatMap((r) => codes(r) ?? [])).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses refresh tokens it never issued', async () => {
    for (const token of ['', 'nonsense', 'A'.repeat(43)]) {
      expect(codes(await refresh(token))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('logs out: true when a session was revoked, false after, and the token no longer refreshes', async () => {
    const { refreshToken } = await signUp();
    expect((await subgraphRequest(app.url, LOG_OUT, { token: refreshToken })).data).toEqual({ logOut: true });
    expect((await subgraphRequest(app.url, LOG_OUT, { token: refreshToken })).data).toEqual({ logOut: false });
    expect((await subgraphRequest(app.url, LOG_OUT, { token: 'never-issued' })).data).toEqual({ logOut: false });
    expect(codes(await refresh(refreshToken))).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps only a hash of the refresh token in Redis, expiring with the refresh TTL', async () => {
    const { refreshToken, user } = await signUp();
    const stored = await app.deps.redis.get(sessionKey(refreshToken));
    expect(JSON.parse(stored!)).toMatchObject({ userId: user.id });
    const ttl = await app.deps.redis.ttl(sessionKey(refreshToken));
    expect(ttl).toBeGreaterThan(2_592_000 - 60);
    expect(ttl).toBeLessThanOrEqual(2_592_000);
    const keys = await app.deps.redis.keys(`${run.redisPrefix}*`);
    expect(keys.some((key) => key.includes(refreshToken))).toBe(false);
  });
});

describe('access tokens', () => {
  it('verify against the served JWKS: signed by the first key, subject and role of the user', async () => {
    const { accessToken, user } = await signUp();
    const response = await fetch(new URL('/.well-known/jwks.json', app.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('max-age=300');
    const jwks = (await response.json()) as JSONWebKeySet;
    expect(jwks.keys.map((k) => k.kid)).toEqual(['test-key-new', 'test-key-old']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);

    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      issuer: 'shop-user-subgraph',
      audience: 'shop-supergraph',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe('test-key-new');
    expect(payload).toMatchObject({ sub: user.id, role: 'CUSTOMER' });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('a refreshed access token carries the same subject', async () => {
    const first = await signUp();
    const { data } = await refresh(first.refreshToken);
    const jwks = (await (await fetch(new URL('/.well-known/jwks.json', app.url))).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(data.refreshSession.accessToken, createLocalJWKSet(jwks), {
      issuer: 'shop-user-subgraph',
      audience: 'shop-supergraph',
    });
    expect(payload.sub).toBe(first.user.id);
    expect(decodeProtectedHeader(data.refreshSession.accessToken).alg).toBe('ES256');
  });
});

describe('bad input and wrong credentials', () => {
  it('refuses a taken email with CONFLICT, whatever its case, and keeps one account', async () => {
    const email = uniqueEmail('taken');
    await signUp({ email });
    const res = await subgraphRequest(app.url, SIGN_UP, { input: { email: email.toUpperCase(), password: PASSWORD, name: 'Other' } });
    expect(res.data).toBeNull();
    expect(codes(res)).toEqual(['CONFLICT']);
    const rows = await app.deps.db.selectFrom('users').select('name').where('email', '=', email).execute();
    expect(rows).toEqual([{ name: 'Test User' }]);
  });

  it('lets one of two racing sign-ups for the same email win; the other gets CONFLICT', async () => {
    const email = uniqueEmail('race');
    const input = { email, password: PASSWORD, name: 'Racer' };
    const results = await Promise.all([subgraphRequest(app.url, SIGN_UP, { input }), subgraphRequest(app.url, SIGN_UP, { input })]);
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(results.flatMap((r) => codes(r) ?? [])).toEqual(['CONFLICT']);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['an email without a domain dot', { email: 'someone@localhost' }, 'email'],
    ['an email with a space', { email: 'some one@example.com' }, 'email'],
    ['a password under 8 characters', { password: 'short' }, 'password'],
    ['a password over 1024 characters', { password: 'x'.repeat(1025) }, 'password'],
    ['an empty name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
  ])('refuses %s with BAD_USER_INPUT and creates no account', async (_label, override, field) => {
    const input = { email: uniqueEmail('bad'), password: PASSWORD, name: 'Bad Input', ...override };
    const res = await subgraphRequest(app.url, SIGN_UP, { input });
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const rows = await app.deps.db.selectFrom('users').select('id').where('email', '=', input.email.trim().toLowerCase()).execute();
    expect(rows).toEqual([]);
  });

  it('answers a wrong password and an unknown email with the same UNAUTHENTICATED message', async () => {
    const email = uniqueEmail('creds');
    await signUp({ email });
    const wrongPassword = await logIn(email, 'not-the-password');
    const unknownEmail = await logIn(uniqueEmail('nobody'), PASSWORD);
    for (const res of [wrongPassword, unknownEmail]) {
      expect(res.data).toBeNull();
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    }
    expect(wrongPassword.errors![0]!.message).toBe(unknownEmail.errors![0]!.message);
  });
});

describe('me, user(id) and email visibility', () => {
  const ME = `{ me { ${USER_FIELDS} } }`;
  const USER = `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;

  it('me is null without an identity and the signed-in user with one', async () => {
    const anonymous = await subgraphRequest(app.url, ME);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data).toEqual({ me: null });

    const payload = await signUp();
    const res = await subgraphRequest(app.url, ME, {}, identityOf(payload));
    expect(res.errors).toBeUndefined();
    expect(res.data.me).toEqual(payload.user);
  });

  it('user(id) shows the owner and an admin the user, email included', async () => {
    const payload = await signUp();
    for (const identity of [identityOf(payload), admin]) {
      const res = await subgraphRequest(app.url, USER, { id: payload.user.id }, identity);
      expect(res.errors).toBeUndefined();
      expect(res.data.user).toEqual(payload.user);
    }
  });

  it('user(id) is null with NOT_FOUND for another user, an anonymous caller and an unknown id', async () => {
    const owner = await signUp();
    const other = await signUp();
    const cases: Array<[string, Identity | null]> = [
      [owner.user.id, identityOf(other)],
      [owner.user.id, null],
      [randomUUID(), admin],
    ];
    for (const [id, identity] of cases) {
      const res = await subgraphRequest(app.url, USER, { id }, identity);
      expect(res.data).toEqual({ user: null });
      expect(codes(res)).toEqual(['NOT_FOUND']);
    }
  });

  it('user(id) with a malformed id is BAD_USER_INPUT', async () => {
    const res = await subgraphRequest(app.url, USER, { id: 'not-a-uuid' }, admin);
    expect(res.data).toEqual({ user: null });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it("another user's email is FORBIDDEN (anonymous: UNAUTHENTICATED); the name stays visible", async () => {
    const owner = await signUp({ name: 'Owner Person' });
    const other = await signUp();
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name email } } }`;
    const representations = [{ __typename: 'User', id: owner.user.id }];

    const forbidden = await subgraphRequest(app.url, query, { r: representations }, identityOf(other));
    expect(forbidden.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['_entities', 0, 'email']]]);

    const anonymous = await subgraphRequest(app.url, query, { r: representations });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const names = await subgraphRequest(
      app.url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }`,
      { r: representations },
      identityOf(other),
    );
    expect(names.data._entities).toEqual([{ name: 'Owner Person' }]);
  });

  it('updateProfile renames the signed-in user and needs a sign-in', async () => {
    const payload = await signUp();
    const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id name email } }`;
    const anonymous = await subgraphRequest(app.url, UPDATE, { input: { name: 'Nobody' } });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const renamed = await subgraphRequest(app.url, UPDATE, { input: { name: '  New Name ' } }, identityOf(payload));
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data.updateProfile).toEqual({ id: payload.user.id, name: 'New Name', email: payload.user.email });
    const me = await subgraphRequest(app.url, `{ me { name } }`, {}, identityOf(payload));
    expect(me.data.me.name).toBe('New Name');

    const empty = await subgraphRequest(app.url, UPDATE, { input: { name: '' } }, identityOf(payload));
    expect(codes(empty)).toEqual(['BAD_USER_INPUT']);
    const unchanged = await subgraphRequest(app.url, UPDATE, { input: {} }, identityOf(payload));
    expect(unchanged.data.updateProfile.name).toBe('New Name');
  });
});

describe('federation', () => {
  it('resolves several User representations in order with one SQL statement', async () => {
    const [a, b] = [await signUp({ name: 'Entity A' }), await signUp({ name: 'Entity B' })];
    const res = await subgraphRequest(
      app.url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name role } } }`,
      {
        r: [
          { __typename: 'User', id: b.user.id },
          { __typename: 'User', id: randomUUID() },
          { __typename: 'User', id: a.user.id },
          { __typename: 'User', id: 'not-a-uuid' },
          { __typename: 'User', id: b.user.id },
        ],
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      { id: b.user.id, name: 'Entity B', role: 'CUSTOMER' },
      null,
      { id: a.user.id, name: 'Entity A', role: 'CUSTOMER' },
      null,
      { id: b.user.id, name: 'Entity B', role: 'CUSTOMER' },
    ]);
    expect(res.headers.get('x-sql-statements')).toBe('1');
  });

  it('refuses a request that did not come through the router (HTTP 401)', async () => {
    const unsigned = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-user-id': admin.userId, 'x-shop-user-role': 'ADMIN' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(unsigned.status).toBe(401);
    const forged = await subgraphRequest(app.url, '{ me { id } }', {}, admin, 'a-secret-the-router-does-not-have-0123456789');
    expect(forged.status).toBe(401);
    expect(codes(forged)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('user.registered', () => {
  it('is written to the outbox with the new user and published', async () => {
    const { user } = await signUp({ name: 'Event Person' });
    const row = await app.deps.db.selectFrom('outbox').selectAll().where('aggregate_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.type).toBe('user.registered');
    expect(row.payload).toEqual({ userId: user.id, email: user.email, name: 'Event Person' });
    await eventually(async () => {
      const published = await app.deps.db.selectFrom('outbox').select('published_at').where('id', '=', row.id).executeTakeFirstOrThrow();
      expect(published.published_at).not.toBeNull();
    });
  });

  it('is not written when sign-up fails', async () => {
    const email = uniqueEmail('once');
    await signUp({ email });
    await subgraphRequest(app.url, SIGN_UP, { input: { email, password: PASSWORD, name: 'Again' } });
    const events = await app.deps.db
      .selectFrom('outbox')
      .select('id')
      .where('type', '=', 'user.registered')
      .where(sql<string>`payload->>'email'`, '=', email)
      .execute();
    expect(events).toHaveLength(1);
  });
});
