import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS } from '@shop/contracts';
import { createDatabase } from '@shop/runtime/subgraph';
import { eventually, POSTGRES_URL, routerRequest } from '@shop/testing';
import { exitOf, startCluster, SUBGRAPHS, type Cluster, type Member, type SubgraphName } from './cluster';
import { PRODUCTS, ShopperLoad, signUpShoppers, type Shopper } from './shoppers';

/**
 * Two replicas of every subgraph and two routers behind HAProxy, started by `npm start --
 * --replicas 2`, under a steady mix of shoppers; meanwhile processes are restarted or killed.
 */
let cluster: Cluster;
const dbs = {} as Record<SubgraphName, Kysely<any>>;
let shoppers: Shopper[];
let productIds: string[];
const stockBefore = new Map<string, number>();

beforeAll(async () => {
  cluster = await startCluster(2);
  for (const name of SUBGRAPHS) dbs[name] = createDatabase({ url: POSTGRES_URL, database: cluster.run.env(name).POSTGRES_DB!, poolSize: 2 });
  shoppers = await signUpShoppers(cluster.url, 12);
  const page = await routerRequest<{ products: { edges: Array<{ node: { id: string } }> } }>(cluster.url, PRODUCTS, { first: 20 });
  productIds = page.data!.products.edges.map((e) => e.node.id);
  expect(productIds).toHaveLength(20);
  for (const row of await dbs.product.selectFrom('products').select(['id', 'stock']).execute()) stockBefore.set(row.id, row.stock);
}, 240_000);

afterAll(async () => {
  await Promise.all(Object.values(dbs).map((db) => db.destroy()));
  await cluster?.stop();
});

/** SIGTERM, as a deploy sends it; resolves once the supervisor's new process on that port is ready. */
async function restart(member: Member): Promise<{ drainMs: number; readyMs: number }> {
  const pid = cluster.pidOf(member);
  if (pid === null) throw new Error(`nothing listens for ${member.name} on ${member.port}`);
  const started = Date.now();
  console.info(`${new Date(started).toISOString()} SIGTERM ${member.name} (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  await exitOf(pid, 20_000);
  const drainMs = Date.now() - started;
  await eventually(
    async () => {
      const now = cluster.pidOf(member);
      if (now === null || now === pid || !(await cluster.ready(member))) throw new Error(`${member.name} not ready again`);
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  const readyMs = Date.now() - started;
  // As an operator does (README, "Rolling restart by hand"): HAProxy counts a router back in
  // after 2 checks 500 ms apart, and the routers probe a subgraph replica every 0.5 to 1 s.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return { drainMs, readyMs };
}

/** Every order reached CONFIRMED or REJECTED, and the stock taken equals what the confirmed orders hold. */
async function expectOrdersFinalOnce(load: ShopperLoad): Promise<void> {
  const ids = [...load.orders.values()];
  await eventually(
    async () => {
      const pending = await dbs.order.selectFrom('orders').select('id').where('id', 'in', ids).where('status', '=', 'PENDING').execute();
      expect(pending).toEqual([]);
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  const byKey = await dbs.order
    .selectFrom('orders')
    .select(['idempotency_key', sql<number>`count(*)::int`.as('n')])
    .where('idempotency_key', 'in', [...load.orders.keys()])
    .groupBy('idempotency_key')
    .execute();
  expect(byKey).toHaveLength(load.orders.size);
  expect(byKey.filter((row) => row.n !== 1)).toEqual([]);
}

/** Every event a producer published reached each consumer's inbox (none lost), and nothing else did. */
async function expectNoEventLost(): Promise<void> {
  const producers: SubgraphName[] = ['product', 'order', 'user'];
  await eventually(
    async () => {
      const published = new Map<string, string>();
      for (const producer of producers) {
        const rows = await dbs[producer].selectFrom('outbox').select(['id', 'type', 'published_at']).execute();
        expect(rows.filter((r) => r.published_at === null).map((r) => r.type)).toEqual([]);
        for (const row of rows) published.set(row.id, row.type);
      }
      for (const consumer of ['product', 'cart', 'order'] as const) {
        const wanted = [...published].filter(([, type]) => (CONSUMERS[consumer] as readonly string[]).includes(type)).map(([id]) => id);
        const inbox = new Set((await dbs[consumer].selectFrom('inbox').select('event_id').execute()).map((r) => r.event_id));
        expect(
          wanted.filter((id) => !inbox.has(id)),
          `events missing from ${consumer}'s inbox`,
        ).toEqual([]);
        expect(inbox.size, `${consumer}'s inbox holds events nobody published`).toBe(wanted.length);
      }
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

describe('a rolling restart under load', () => {
  it('restarts every router and subgraph replica in turn with 0 failed requests, every order final once and no event lost', async () => {
    const load = new ShopperLoad(cluster.url, shoppers, productIds, { me: 4, products: 4, addToCart: 3, placeOrder: 10 });
    const startedAt = Date.now();
    load.start();
    const timings: Record<string, { drainMs: number; readyMs: number }> = {};
    try {
      for (const member of cluster.members) timings[member.name] = await restart(member);
      // At least a minute of load in all, the last restart included.
      const left = 60_000 - (Date.now() - startedAt);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    } finally {
      await load.stop();
    }
    console.info(
      JSON.stringify({ rollingRestart: { seconds: Math.round((Date.now() - startedAt) / 1000), requests: load.summary(), orders: load.orders.size, timings } }),
    );
    expect(load.failures().slice(0, 5)).toEqual([]);
    expect(load.orders.size).toBeGreaterThan(500);
    await expectOrdersFinalOnce(load);
    await expectNoEventLost();
  }, 600_000);

  it('took exactly what the confirmed orders hold from stock, once', async () => {
    const confirmed = await dbs.order
      .selectFrom('order_lines as l')
      .innerJoin('orders as o', 'o.id', 'l.order_id')
      .select(['l.product_id', sql<number>`sum(l.quantity)::int`.as('quantity')])
      .where('o.status', '=', 'CONFIRMED')
      .groupBy('l.product_id')
      .execute();
    const taken = new Map(confirmed.map((row) => [row.product_id, row.quantity]));
    for (const row of await dbs.product.selectFrom('products').select(['id', 'stock']).execute()) {
      expect(stockBefore.get(row.id)! - row.stock, `stock of ${row.id}`).toBe(taken.get(row.id) ?? 0);
    }
  });
});

describe('SIGKILL of one replica of each subgraph under load', () => {
  it('costs queries nothing; a failed placeOrder is SERVICE_UNAVAILABLE and, sent again with its key, makes one order', async () => {
    const load = new ShopperLoad(cluster.url, shoppers, productIds, { me: 4, products: 4, addToCart: 3, placeOrder: 10 }, 3);
    load.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for (const name of SUBGRAPHS) {
        const member = cluster.members.find((m) => m.name === `${name}-0`)!;
        process.kill(cluster.pidOf(member)!, 'SIGKILL');
      }
      // The supervisor brings them back; the load goes on meanwhile and after.
      await eventually(
        async () => {
          for (const name of SUBGRAPHS) expect(await cluster.ready(cluster.members.find((m) => m.name === `${name}-0`)!)).toBe(true);
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      await load.stop();
    }
    console.info(JSON.stringify({ sigkill: { requests: load.summary(), orders: load.orders.size } }));
    const failures = load.failures();
    expect(failures.filter((f) => f.operation === 'me' || f.operation === 'products')).toEqual([]);
    expect(failures.filter((f) => !/SERVICE_UNAVAILABLE/.test(f.error ?? ''))).toEqual([]);
    await expectOrdersFinalOnce(load);
    await expectNoEventLost();
  }, 300_000);
});
