import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, envelope, eventually, subgraphRequest, TestPublisher } from '@shop/testing';
import { createProductApp, type ProductApp } from '../src/app';
import { parseConfig } from '../src/config';

/** The read-through cache on the real Redis: statement counts cold and warm, and invalidation. */
const run = createTestRun();
let app: ProductApp;
let publisher: TestPublisher;
const admin = { userId: randomUUID(), role: 'ADMIN' as const };

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku price { amountCents } stock } } }`;

async function entities(ids: string[]) {
  const res = await subgraphRequest(app.url, ENTITIES, { r: ids.map((id) => ({ __typename: 'Product', id })) });
  expect(res.errors).toBeUndefined();
  return {
    products: res.data._entities as Array<{ id: string; price: { amountCents: number }; stock: number }>,
    sql: Number(res.headers.get('x-sql-statements')),
    hits: Number(res.headers.get('x-cache-hits')),
  };
}

/** Cold: a new cache generation empties Redis and the in-process layer alike. */
const flushCache = () => app.deps.cacheGeneration.bump();

beforeAll(async () => {
  app = await createProductApp(parseConfig(run.env('product')));
  publisher = new TestPublisher(run.topology);
  for (let i = 0; i < 100; i++) {
    await app.products.create({ sku: `CACHE-${i}`, name: `Cached ${i}`, description: '', category: 'cache', priceCents: 100 + i, stock: 50 });
  }
  // Every write deletes its keys again a second later; let those pass before counting.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

const allIds = async () => (await app.deps.db.selectFrom('products').select('id').where('category', '=', 'cache').orderBy('sku').execute()).map((r) => r.id);

describe('product cache', () => {
  it.each([1, 10, 100])('_entities with %i representations: one statement cold, none warm', async (count) => {
    const ids = (await allIds()).slice(0, count);
    await flushCache();
    const cold = await entities(ids);
    expect(cold.products.map((p) => p.id)).toEqual(ids);
    expect(cold.sql).toBe(1);
    const warm = await entities(ids);
    expect(warm.products).toEqual(cold.products);
    expect(warm.sql).toBe(0);
    expect(warm.hits).toBe(count);
  });

  it('reads by sku through the id cache: warm reads cost no statement', async () => {
    await flushCache();
    const query = `{ productBySku(sku: "CACHE-7") { id sku price { amountCents } } }`;
    const cold = await subgraphRequest(app.url, query);
    expect(cold.data.productBySku.sku).toBe('CACHE-7');
    expect(cold.headers.get('x-sql-statements')).toBe('1');
    const warm = await subgraphRequest(app.url, query);
    expect(warm.data).toEqual(cold.data);
    expect(warm.headers.get('x-sql-statements')).toBe('0');
  });

  it('shows an update at once after it commits', async () => {
    const [id] = await allIds();
    await entities([id!]); // warm
    const update = await subgraphRequest(app.url, `mutation($id: ID!) { updateProduct(id: $id, input: { priceCents: 4242 }) { id } }`, { id }, admin);
    expect(update.errors).toBeUndefined();
    expect((await entities([id!])).products[0]!.price.amountCents).toBe(4242);
    await subgraphRequest(app.url, `mutation($id: ID!) { restockProduct(id: $id, quantity: 5) { id } }`, { id }, admin);
    expect((await entities([id!])).products[0]!.stock).toBe(55);
  });

  it('shows reserved and released stock at once, also when the event is delivered twice', async () => {
    const ids = await allIds();
    const productId = ids[20]!;
    const before = (await entities([productId])).products[0]!.stock; // warm
    const orderId = randomUUID();
    const placed = envelope('order.placed', orderId, { orderId, userId: randomUUID(), lines: [{ productId, quantity: 3 }] });
    await publisher.publish(placed);
    await publisher.publish(placed);
    await eventually(async () => expect((await entities([productId])).products[0]!.stock).toBe(before - 3));
    await publisher.publish(envelope('order.cancelled', orderId, { orderId, userId: randomUUID() }));
    await eventually(async () => expect((await entities([productId])).products[0]!.stock).toBe(before));
  });

  it('counts statements and cache lookups per operation in /metrics', async () => {
    const [id] = await allIds();
    await flushCache();
    const query = `query ShowProduct($id: ID!) { product(id: $id) { id } }`;
    await subgraphRequest(app.url, query, { id });
    await subgraphRequest(app.url, query, { id });
    const metrics = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/sql_statements_total\{[^}]*operation="ShowProduct"[^}]*\} 1\b/);
    expect(metrics).toMatch(/cache_lookups_total\{[^}]*operation="ShowProduct"[^}]*result="hit"[^}]*\} 1\b/);
    expect(metrics).toMatch(/cache_lookups_total\{[^}]*operation="ShowProduct"[^}]*result="miss"[^}]*\} 1\b/);
  });
});
