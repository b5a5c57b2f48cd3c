import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterApp } from '@shop/router';
import { eventually, routerRequest, subgraphRequest, type GraphQLResponse } from '@shop/testing';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '@shop/user-subgraph';
import { LOG_IN } from '../e2e/stack';
import { createCluster, type Replica } from './cluster';

/**
 * Two routers, each over its own user replica (router 1 → user A, router 2 → user B) and one
 * product replica, on one Redis prefix: what one router registers or revokes, the other knows.
 */
const cluster = createCluster();
let userA: Replica;
let router1: RouterApp;
let router2: RouterApp;
let sku: string;

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const ok = <T = any>(res: GraphQLResponse<T>): T => {
  expect(res.errors).toBeUndefined();
  return res.data as T;
};

beforeAll(async () => {
  const [[product], users] = await Promise.all([cluster.start('product'), cluster.start('user', 2)]);
  userA = users[0]!;
  const userB = users[1]!;
  [router1, router2] = await Promise.all([cluster.startRouter({ user: userA, product }), cluster.startRouter({ user: userB, product })]);
  await seedDemoAccounts(userA.deps.db, { nodeEnv: 'test', scryptCost: 1024 });
  sku = `APQ-${randomUUID().slice(0, 8)}`;
  ok(
    await subgraphRequest(
      product.url,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku, name: `Persisted ${sku}`, description: 'Found by hash', category: 'replicas', priceCents: 500, stock: 1 } },
      { userId: randomUUID(), role: 'ADMIN' },
    ),
  );
});
afterAll(() => cluster.stop());

describe('automatic persisted queries', () => {
  /** An APQ request (Apollo's protocol): the hash, with or without the query text. */
  async function apq(router: RouterApp, sha256Hash: string, query?: string): Promise<GraphQLResponse> {
    const response = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...(query ? { query } : {}), variables: { sku }, extensions: { persistedQuery: { version: 1, sha256Hash } } }),
    });
    return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
  }

  it('registered on router 1, run by hash alone on router 2', async () => {
    const query = `query ReplicaApq($sku: String!) { productBySku(sku: $sku) { sku name } } # ${randomUUID()}`;
    const hash = createHash('sha256').update(query).digest('hex');
    // Neither router knows it yet.
    expect(codeOf(await apq(router1, hash))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await apq(router2, hash))).toBe('PERSISTED_QUERY_NOT_FOUND');

    const expected = { productBySku: { sku, name: `Persisted ${sku}` } };
    expect(ok(await apq(router1, hash, query))).toEqual(expected);
    // Registered in the shared Redis (Apollo stores it alongside answering).
    await eventually(async () => expect(await userA.deps.redis.exists(`router:apq:v1:${hash}`)).toBe(1));

    const byHash = await apq(router2, hash);
    expect(codeOf(byHash)).toBeUndefined();
    expect(byHash.data).toEqual(expected);
  });
});

describe('refresh tokens', () => {
  const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken user { id } } }`;
  const customer = DEMO_ACCOUNTS.find((account) => account.role === 'CUSTOMER')!;
  const logIn = async (router: RouterApp) =>
    ok(await routerRequest(router.url, LOG_IN, { email: customer.email, password: customer.password })).logIn as {
      accessToken: string;
      refreshToken: string;
      user: { id: string };
    };
  const refresh = (router: RouterApp, token: string) => routerRequest(router.url, REFRESH, { token });

  it('a refresh on router 1 makes the old token fail on router 2; the new one works there', async () => {
    const session = await logIn(router1);
    const rotated = ok(await refresh(router1, session.refreshToken)).refreshSession;
    expect(rotated.refreshToken).not.toBe(session.refreshToken);

    const replayed = await refresh(router2, session.refreshToken);
    expect(replayed.data).toBeNull();
    expect(codeOf(replayed)).toBe('UNAUTHENTICATED');

    const onRouter2 = ok(await refresh(router2, rotated.refreshToken)).refreshSession;
    expect(onRouter2.user.id).toBe(session.user.id);
    // ...and that refresh, in turn, retired the token on router 1.
    expect(codeOf(await refresh(router1, rotated.refreshToken))).toBe('UNAUTHENTICATED');
    // Access tokens issued through either router are honoured by the other.
    expect(ok(await routerRequest(router2.url, '{ me { id } }', {}, rotated.accessToken)).me.id).toBe(session.user.id);
    expect(ok(await routerRequest(router1.url, '{ me { id } }', {}, onRouter2.accessToken)).me.id).toBe(session.user.id);
  });

  it('of one token refreshed on both routers at once, exactly one refresh wins', async () => {
    for (let round = 0; round < 5; round++) {
      const session = await logIn(router1);
      const results = await Promise.all([refresh(router1, session.refreshToken), refresh(router2, session.refreshToken)]);
      const won = results.filter((res) => res.errors === undefined);
      expect(won).toHaveLength(1);
      expect(results.map(codeOf).filter(Boolean)).toEqual(['UNAUTHENTICATED']);
    }
  });
});
