import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterApp } from '@shop/router';
import { cacheEntryKey } from '@shop/runtime';
import { eventually, metricTotal, routerRequest, subgraphRequest, type GraphQLResponse } from '@shop/testing';
import { seedDemoAccounts } from '@shop/user-subgraph';
import { LOG_IN, SIGN_UP } from '../e2e/stack';
import { createCluster, type Replica } from './cluster';

/**
 * Invalidation across replicas: product replicas A and B each keep a product in process memory
 * (CACHE_LOCAL_TTL_SECONDS, 5 s), and two routers keep it in their entity stores (5 s); router 1
 * sends product fetches to A, router 2 to B. A price change made through A must reach B's
 * memory and both routers' stores within 1 s, well before any of those entries would expire.
 */
const cluster = createCluster();
let productA: Replica;
let productB: Replica;
let router1: RouterApp;
let router2: RouterApp;
let adminToken: string;
let customerToken: string;
let productId: string;

const ok = <T = any>(res: GraphQLResponse<T>): T => {
  expect(res.errors).toBeUndefined();
  return res.data as T;
};

const PRODUCT = `query($id: ID!) { product(id: $id) { id price { amountCents } } }`;
const MY_CART = `query ReplicaCart { myCart { items { quantity product { id price { amountCents } } } } }`;

/** The price as a product replica answers it directly (a signed request, as a router sends), with its cache counters. */
async function priceOnReplica(replica: Replica) {
  const res = await subgraphRequest(replica.url, PRODUCT, { id: productId });
  return {
    price: ok(res).product.price.amountCents as number,
    hits: Number(res.headers.get('x-cache-hits')),
    sql: Number(res.headers.get('x-sql-statements')),
  };
}

/** The price of the customer's only cart line, as a router answers it (the product part from its entity store, or its product replica). */
async function priceThroughRouter(router: RouterApp): Promise<number> {
  const items = ok(await routerRequest(router.url, MY_CART, {}, customerToken)).myCart.items;
  expect(items).toHaveLength(1);
  return items[0].product.price.amountCents;
}

const entityCacheHits = (router: RouterApp) => metricTotal(router.url, 'router_entity_cache_total', { subgraph: 'product', result: 'hit' });

beforeAll(async () => {
  const [[user], [cart], products] = await Promise.all([cluster.start('user'), cluster.start('cart'), cluster.start('product', 2)]);
  [productA, productB] = products as [Replica, Replica];
  [router1, router2] = await Promise.all([cluster.startRouter({ user, cart, product: productA }), cluster.startRouter({ user, cart, product: productB })]);
  await seedDemoAccounts(user.deps.db, { nodeEnv: 'test', scryptCost: 1024 });
  adminToken = ok(await routerRequest(router1.url, LOG_IN, { email: 'admin@example.com', password: 'admin-password' })).logIn.accessToken;
  customerToken = ok(
    await routerRequest(router1.url, SIGN_UP, { email: `replica-${randomUUID()}@example.com`, password: 'correct-horse', name: 'Replica Rae' }),
  ).signUp.accessToken;
  const sku = `REPLICA-${randomUUID().slice(0, 8)}`;
  productId = ok(
    await routerRequest(
      router1.url,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      { input: { sku, name: `Replica ${sku}`, description: 'Cached on every replica', category: 'replicas', priceCents: 1000, stock: 10 } },
      adminToken,
    ),
  ).createProduct.id;
  const created = Date.now();
  // The cart learns the product from its product.created event.
  await eventually(async () =>
    ok(await routerRequest(router1.url, `mutation($p: ID!) { addToCart(productId: $p) { totalQuantity } }`, { p: productId }, customerToken)),
  );
  // A write invalidates its ids again a second later; let the creation's second round pass before warming.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, created + 1_200 - Date.now())));
});
afterAll(() => cluster.stop());

describe('a price change through product replica A', () => {
  it("reaches replica B's memory and both routers' entity stores within 1 s", async () => {
    // Warm every layer that will be checked: A's and B's memory, both routers' stores.
    for (const replica of [productA, productB]) {
      await priceOnReplica(replica);
      expect(await priceOnReplica(replica)).toEqual({ price: 1000, hits: 1, sql: 0 });
    }
    // With the Redis entry gone, a hit that costs no SQL can only come from the replica's memory.
    await productA.deps.redis.del(
      cacheEntryKey({ subgraph: 'product', entity: 'product', schemaVersion: 1, generation: productA.deps.cacheGeneration.current()!, id: productId }),
    );
    for (const replica of [productA, productB]) expect(await priceOnReplica(replica)).toEqual({ price: 1000, hits: 1, sql: 0 });
    for (const router of [router1, router2]) {
      expect(await priceThroughRouter(router)).toBe(1000);
      const before = await entityCacheHits(router);
      expect(await priceThroughRouter(router)).toBe(1000);
      expect(await entityCacheHits(router)).toBe(before + 1);
    }

    const sent = Date.now();
    const updated = ok(
      await routerRequest(
        router1.url,
        `mutation($id: ID!) { updateProduct(id: $id, input: { priceCents: 2345 }) { price { amountCents } } }`,
        { id: productId },
        adminToken,
      ),
    );
    const answered = Date.now();
    expect(updated.updateProduct.price.amountCents).toBe(2345);

    /** Milliseconds from the update's answer until `read` shows the new price (polled, at most 3 s). */
    const untilNewPrice = async (read: () => Promise<number>) => {
      for (;;) {
        if ((await read()) === 2345) return Date.now() - answered;
        if (Date.now() - answered > 3_000) return Infinity;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const [replicaB, throughRouter1, throughRouter2] = await Promise.all([
      untilNewPrice(async () => (await priceOnReplica(productB)).price),
      untilNewPrice(() => priceThroughRouter(router1)),
      untilNewPrice(() => priceThroughRouter(router2)),
    ]);
    console.info(
      `invalidation (update answered in ${answered - sent} ms), new price seen after: replica B ${replicaB} ms, router 1 ${throughRouter1} ms, router 2 ${throughRouter2} ms`,
    );
    expect(replicaB).toBeLessThan(1_000);
    expect(throughRouter1).toBeLessThan(1_000);
    expect(throughRouter2).toBeLessThan(1_000);
  });
});
