import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductPriced } from '@shop/contracts';
import type { Identity } from '@shop/runtime';
import { createTestRun, deleteRedisKeys, envelope, eventually, subgraphRequest, TestPublisher } from '@shop/testing';
import { createOrderApp, type OrderApp } from '../src/app';
import { parseConfig } from '../src/config';
import { seedOrders, upsertProductPrices } from '../src/seed';

/** The order subgraph's Redis cache: statement counts cold and warm, and invalidation. */
const run = createTestRun();
let app: OrderApp;
let publisher: TestPublisher;
const products: ProductPriced[] = Array.from({ length: 5 }, (_, i) => ({
  productId: randomUUID(),
  sku: `ORD-CACHE-${i}`,
  name: `Cached thing ${i}`,
  priceCents: 100 * (i + 1),
  version: 1,
}));

const MY_ORDERS = `{ myOrders(first: 20) { edges { node { id status total { amountCents } items { productName quantity product { id } } } } } }`;

async function myOrders(caller: Identity) {
  const res = await subgraphRequest(app.url, MY_ORDERS, {}, caller);
  expect(res.errors).toBeUndefined();
  return { edges: res.data.myOrders.edges as Array<{ node: { id: string; status: string } }>, sql: Number(res.headers.get('x-sql-statements')) };
}

beforeAll(async () => {
  app = await createOrderApp(parseConfig(run.env('order')));
  publisher = new TestPublisher(run.topology);
  await upsertProductPrices(app.deps.db, products);
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

describe('order cache', () => {
  it('reads the last 20 orders with their lines in two statements cold and none warm', async () => {
    const shopper: Identity = { userId: randomUUID(), role: 'CUSTOMER' };
    await seedOrders(app.deps.db, { userIds: [shopper.userId], products, ordersPerUser: 25, linesPerOrder: 3 });
    await deleteRedisKeys(`${run.redisPrefix}order:`);
    const cold = await myOrders(shopper);
    expect(cold.edges).toHaveLength(20);
    expect(cold.sql).toBe(2);
    const warm = await myOrders(shopper);
    expect(warm).toEqual({ ...cold, sql: 0 });
  });

  it('shows a new order, its confirmation and its cancellation in a warm list', async () => {
    const shopper: Identity = { userId: randomUUID(), role: 'CUSTOMER' };
    expect((await myOrders(shopper)).edges).toEqual([]); // warm and empty
    const placed = await subgraphRequest(
      app.url,
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`,
      { input: { idempotencyKey: randomUUID(), items: [{ productId: products[0]!.productId, quantity: 1 }] } },
      shopper,
    );
    const orderId = placed.data.placeOrder.id as string;
    expect((await myOrders(shopper)).edges.map((e) => e.node)).toMatchObject([{ id: orderId, status: 'PENDING' }]);

    const reserved = envelope('stock.reserved', orderId, { orderId, userId: shopper.userId, lines: [{ productId: products[0]!.productId, quantity: 1 }] });
    await publisher.publish(reserved);
    await publisher.publish(reserved);
    await eventually(async () => expect((await myOrders(shopper)).edges[0]!.node.status).toBe('CONFIRMED'));

    await subgraphRequest(app.url, `mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: orderId }, shopper);
    expect((await myOrders(shopper)).edges[0]!.node.status).toBe('CANCELLED');
  });

  it('never serves one user’s cached orders to another', async () => {
    const [alice, bob]: Identity[] = [
      { userId: randomUUID(), role: 'CUSTOMER' },
      { userId: randomUUID(), role: 'CUSTOMER' },
    ];
    await seedOrders(app.deps.db, { userIds: [alice.userId], products, ordersPerUser: 2, linesPerOrder: 1 });
    const aliceOrders = await myOrders(alice); // cached now
    expect(aliceOrders.edges).toHaveLength(2);
    expect((await myOrders(bob)).edges).toEqual([]);
    const res = await subgraphRequest(app.url, `query($id: ID!) { order(id: $id) { id } }`, { id: aliceOrders.edges[0]!.node.id }, bob);
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(res.data?.order ?? null).toBeNull();
  });
});
