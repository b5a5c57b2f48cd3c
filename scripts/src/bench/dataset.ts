import { seedCarts } from '@shop/cart-subgraph';
import { sampleProducts } from '@shop/product-subgraph';
import { dropDatabase } from '@shop/runtime/subgraph';
import { benchUserEmail, findUserIdsByEmails } from '@shop/user-subgraph';
import { byName, closeDatabases, migrateAll, type Database, type SubgraphDatabase, type SubgraphDatabases } from '../db/databases';
import { seedDataset, type DatasetSpec } from '../seed/dataset';
import { createProgress } from '../seed/progress';
import { SUBGRAPH_NAMES } from '../subgraphs';
import { BIG_CART_LINES } from './args';
import { benchDatabase, deleteBenchKeys, purgeBenchQueues } from './stack';

/** Rows the bench databases hold; compared with what a dataset spec makes. */
export interface DatasetCounts {
  products: number;
  users: number;
  orders: number;
  orderLines: number;
  cartLines: number;
  bigCartLines: number;
}

export const bigCartLinesFor = (spec: DatasetSpec) => Math.max(BIG_CART_LINES, spec.cartLines);

export function expectedCounts(spec: DatasetSpec): DatasetCounts {
  const bigCartLines = bigCartLinesFor(spec);
  return {
    products: spec.products,
    users: spec.users,
    orders: spec.orders,
    orderLines: spec.orders * spec.linesPerOrder,
    // bench-user-1's cart is topped up to the big cart; every other user has cartLines.
    cartLines: (spec.users - 1) * spec.cartLines + bigCartLines,
    bigCartLines,
  };
}

/** Names of the counts that differ, e.g. ["products 200 (want 10000)"]; empty when they match. */
export function countDifferences(have: DatasetCounts, want: DatasetCounts): string[] {
  return (Object.keys(want) as Array<keyof DatasetCounts>).filter((key) => have[key] !== want[key]).map((key) => `${key} ${have[key]} (want ${want[key]})`);
}

async function count(db: Database, table: string, where?: [string, string]): Promise<number> {
  let query = db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
  if (where) query = query.where(where[0], '=', where[1]);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

async function bigCartUserId(dbs: SubgraphDatabases): Promise<string | undefined> {
  return (await findUserIdsByEmails(dbs.user as any, [benchUserEmail(1)])).get(benchUserEmail(1));
}

async function countRows(dbs: SubgraphDatabases): Promise<DatasetCounts> {
  const bigUser = await bigCartUserId(dbs);
  return {
    products: await count(dbs.product, 'products'),
    users: await count(dbs.user, 'users'),
    orders: await count(dbs.order, 'orders'),
    orderLines: await count(dbs.order, 'order_lines'),
    cartLines: await count(dbs.cart, 'cart_lines'),
    bigCartLines: bigUser ? await count(dbs.cart, 'cart_lines', ['user_id', bigUser.toLowerCase()]) : 0,
  };
}

export interface BenchDataset {
  databases: SubgraphDatabase[];
  dbs: SubgraphDatabases;
  seeded: boolean;
  seedSeconds: number;
  counts: DatasetCounts;
}

/** The environment the scripts read each subgraph's database from (PRODUCT_POSTGRES_DB …). */
export function datasetEnv(baseEnv: NodeJS.ProcessEnv, prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_POSTGRES_DB`] = benchDatabase(prefix, name);
  return env;
}

async function dropBenchDatabases(env: NodeJS.ProcessEnv, prefix: string, say: (text: string) => void): Promise<void> {
  const url = env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  for (const name of SUBGRAPH_NAMES) await dropDatabase(url, benchDatabase(prefix, name));
  // Cached sku → id entries would point at products that no longer exist.
  const keys = await deleteBenchKeys(env.REDIS_URL, prefix);
  const messages = await purgeBenchQueues(env.RABBITMQ_URL, prefix);
  say(`dropped ${SUBGRAPH_NAMES.map((name) => benchDatabase(prefix, name)).join(', ')}, ${keys} Redis keys under '${prefix}:' and ${messages} queued events`);
}

/**
 * Opens (creating and migrating) the bench databases and makes them hold exactly `spec`:
 * reused as they are when they already do, otherwise dropped and seeded. The connections
 * stay open for the caller (event drain checks, sku sampling); close them with closeDatabases.
 */
export async function prepareDataset(
  baseEnv: NodeJS.ProcessEnv,
  prefix: string,
  spec: DatasetSpec,
  fresh: boolean,
  say: (text: string) => void,
): Promise<BenchDataset> {
  const env = datasetEnv(baseEnv, prefix);
  if (fresh) await dropBenchDatabases(env, prefix, say);
  let databases = await migrateAll(env);
  const want = expectedCounts(spec);
  try {
    const have = await countRows(byName(databases));
    const differences = countDifferences(have, want);
    if (differences.length === 0) {
      say(`reusing the bench databases: ${describeCounts(have)}`);
      return { databases, dbs: byName(databases), seeded: false, seedSeconds: 0, counts: have };
    }
    if (have.products + have.users + have.orders + have.cartLines > 0) {
      say(`the bench databases hold another dataset (${differences.join(', ')}): seeding again`);
      await closeDatabases(databases);
      databases = [];
      await dropBenchDatabases(env, prefix, say);
      databases = await migrateAll(env);
    }
    const started = Date.now();
    say(`seeding ${spec.products} products, ${spec.users} users with ${spec.cartLines}-line carts, ${spec.orders} orders of ${spec.linesPerOrder} lines`);
    const dbs = byName(databases);
    const progress = createProgress();
    let userIds: string[];
    try {
      ({ userIds } = await seedDataset(dbs, spec, { nodeEnv: 'production', onProgress: progress.report }));
    } finally {
      progress.finish();
    }
    if (want.bigCartLines > spec.cartLines) {
      const bigUser = userIds[0]!.toLowerCase();
      await dbs.cart.deleteFrom('cart_lines').where('user_id', '=', bigUser).execute();
      await seedCarts(dbs.cart as any, {
        userIds: [bigUser],
        products: await sampleProducts(dbs.product as any, want.bigCartLines),
        linesPerCart: want.bigCartLines,
      });
    }
    const counts = await countRows(dbs);
    const left = countDifferences(counts, want);
    if (left.length) throw new Error(`seeding left the bench databases with ${left.join(', ')}`);
    const seedSeconds = (Date.now() - started) / 1000;
    say(`seeded in ${seedSeconds.toFixed(1)} s: ${describeCounts(counts)}`);
    return { databases, dbs, seeded: true, seedSeconds, counts };
  } catch (error) {
    await closeDatabases(databases);
    throw error;
  }
}

export function describeCounts(counts: DatasetCounts): string {
  const carts = `${counts.cartLines} cart lines (bench-user-1: ${counts.bigCartLines})`;
  return `${counts.products} products, ${counts.users} users, ${carts}, ${counts.orders} orders with ${counts.orderLines} lines`;
}

/** Skus spread evenly over the catalogue, for product-by-sku requests. */
export async function sampleSkus(dbs: SubgraphDatabases, howMany: number): Promise<string[]> {
  const rows = await dbs.product.selectFrom('products').select('sku').orderBy('sku').execute();
  const step = Math.max(1, Math.floor(rows.length / howMany));
  return rows
    .filter((_, i) => i % step === 0)
    .slice(0, howMany)
    .map((row: { sku: string }) => row.sku);
}

interface EventBacklog {
  unpublished: number;
  productEvents: number;
  cart: number;
  order: number;
}

async function eventBacklog(dbs: SubgraphDatabases): Promise<EventBacklog> {
  const productEvents = async (db: Database, table: 'outbox' | 'inbox') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('type', 'like', 'product.%')
          .executeTakeFirstOrThrow()
      ).n,
    );
  const unpublished = Number(
    (
      await dbs.product
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('published_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  return {
    unpublished,
    productEvents: await productEvents(dbs.product, 'outbox'),
    cart: await productEvents(dbs.cart, 'inbox'),
    order: await productEvents(dbs.order, 'inbox'),
  };
}

/**
 * Seeding leaves a product.created event per product in the outbox; the running stack
 * publishes them and cart and order apply them. That work must be over before measuring.
 */
export async function waitForEventBacklog(
  dbs: SubgraphDatabases,
  say: (text: string) => void,
  crashed: Promise<never>,
  timeoutMs = 15 * 60_000,
): Promise<number> {
  const started = Date.now();
  let lastSaid = 0;
  for (;;) {
    const backlog = await eventBacklog(dbs);
    const done = backlog.unpublished === 0 && backlog.cart >= backlog.productEvents && backlog.order >= backlog.productEvents;
    if (done) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) throw new Error(`product events still not applied after ${timeoutMs / 60_000} min: ${JSON.stringify(backlog)}`);
    if (Date.now() - lastSaid > 5_000) {
      lastSaid = Date.now();
      say(
        `waiting for seeded product events: ${backlog.productEvents - backlog.unpublished}/${backlog.productEvents} published, ` +
          `applied by cart ${backlog.cart}, by order ${backlog.order}`,
      );
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 1_000)), crashed]);
  }
}
