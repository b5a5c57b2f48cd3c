import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, expect, it } from 'vitest';
import { eventually, inspectTopology, POSTGRES_URL, subgraphRequest } from '@shop/testing';
import { createCluster, MIGRATIONS, SUBGRAPHS, type Replica, type SubgraphName } from './cluster';

/**
 * Two replicas of every subgraph started at the same moment on databases that do not exist
 * yet: both create the database (one wins), migrate (kysely's migrator serialises them) and
 * declare the topology, and all eight serve.
 */
const cluster = createCluster();
afterAll(() => cluster.stop());

/** A query per subgraph that reads its own tables (so fails if they are missing). */
const QUERIES: Record<SubgraphName, string> = {
  product: '{ products(first: 1) { edges { node { id } } } }',
  user: '{ me { id } }',
  cart: '{ myCart { totalQuantity } }',
  order: '{ myOrders(first: 1) { edges { node { id } } } }',
};

async function existingDatabases(names: string[]): Promise<string[]> {
  const client = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname = any($1)', [names]);
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

it('two replicas of each subgraph, started at once on empty databases, all come up', async () => {
  const databases = SUBGRAPHS.map((name) => cluster.env(name).POSTGRES_DB!);
  expect(await existingDatabases(databases)).toEqual([]);

  const started = Date.now();
  const replicas = Object.fromEntries((await Promise.all(SUBGRAPHS.map((name) => cluster.start(name, 2)))).map((pair, i) => [SUBGRAPHS[i], pair])) as Record<
    SubgraphName,
    Replica[]
  >;
  console.info(`startup: 8 replicas on empty databases up in ${Date.now() - started} ms`);
  expect((await existingDatabases(databases)).sort()).toEqual([...databases].sort());

  for (const name of SUBGRAPHS) {
    expect(replicas[name]).toHaveLength(2);
    expect(new Set(replicas[name].map((r) => r.url)).size).toBe(2);
    // Every migration recorded exactly once (name is the table's key: a second run would have failed to insert).
    const applied = await replicas[name][0]!.deps.db.selectFrom('kysely_migration').select('name').orderBy('name').execute();
    expect(applied.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS[name]).sort());
  }

  // The exchanges and every consumer's queue and dead-letter queue exist; each replica consumes its subgraph's queue.
  const queues = await inspectTopology(cluster.run.topology);
  expect({ product: queues.product.consumers, cart: queues.cart.consumers, order: queues.order.consumers, audit: queues.audit.consumers }).toEqual({
    product: 2,
    cart: 2,
    order: 2,
    audit: 0,
  });

  // Both replicas of each subgraph serve a query on their tables.
  const identity = { userId: randomUUID(), role: 'CUSTOMER' as const };
  for (const name of SUBGRAPHS) {
    for (const replica of replicas[name]) {
      const res = await subgraphRequest(replica.url, QUERIES[name], {}, identity);
      expect({ subgraph: name, errors: res.errors }).toEqual({ subgraph: name, errors: undefined });
      expect(res.data).toBeTruthy();
    }
  }

  // And the bindings route: a product created on one replica reaches cart and order through their queues.
  const created = await subgraphRequest(
    replicas.product[1]!.url,
    `mutation { createProduct(input: { sku: "BOOT-${randomUUID().slice(0, 8)}", name: "Booted", description: "", category: "replicas", priceCents: 100, stock: 1 }) { id } }`,
    {},
    { userId: randomUUID(), role: 'ADMIN' },
  );
  expect(created.errors).toBeUndefined();
  const productId = created.data.createProduct.id as string;
  for (const name of ['cart', 'order'] as const) {
    await eventually(async () => {
      const row = await replicas[name][0]!.deps.db.selectFrom('product_prices').select('product_id').where('product_id', '=', productId).executeTakeFirst();
      expect(row).toBeDefined();
    });
  }
});
