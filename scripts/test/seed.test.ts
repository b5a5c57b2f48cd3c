import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun } from '@shop/testing';
import { UsageError } from '../src/cli';
import { byName, closeDatabases, migrateAll, type SubgraphDatabase } from '../src/db/databases';
import { DEMO_DATASET, seedDataset, spread, type SeedStage } from '../src/seed/dataset';
import { parseSeedArgs } from '../src/seed/args';
import { REPO_ROOT } from '../src/paths';
import { SUBGRAPH_NAMES } from '../src/subgraphs';

const run = createTestRun();
/** One environment for all four, as a shell running `npm run seed` has, with each subgraph's own database. */
const env: NodeJS.ProcessEnv = { ...run.env('product') };
for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_POSTGRES_DB`] = run.env(name).POSTGRES_DB;
delete env.POSTGRES_DB;

afterAll(async () => {
  await run.cleanup();
});

function seedCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'scripts/dist/seed.js'), ...args], { env: { ...process.env, ...env, ...extraEnv } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function count(database: SubgraphDatabase, table: string): Promise<number> {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('seed flags', () => {
  it('no flags means the demo dataset', () => {
    expect(parseSeedArgs([])).toEqual(DEMO_DATASET);
  });

  it('reads counts in both flag forms', () => {
    expect(parseSeedArgs(['--products', '50', '--users=4', '--orders', '9', '--cart-lines', '2'])).toMatchObject({
      products: 50,
      users: 4,
      orders: 9,
      cartLines: 2,
      demoAccounts: true,
    });
  });

  it.each([
    [['--products', '0'], /--products must be a positive integer/],
    [['--products', '-3'], /--products must be a positive integer/],
    [['--users', '2.5'], /--users must be a positive integer/],
    [['--products'], /--products needs a value/],
    [['--colour', 'red'], /unknown argument '--colour'/],
    [['--orders', '5'], /--orders needs --users/],
    [['--users', '1', '--cart-lines', '101'], /at most 100/],
    [['--products', '1', '--products', '2'], /given twice/],
  ])('refuses %j', (args, message) => {
    expect(() => parseSeedArgs(args)).toThrow(UsageError);
    expect(() => parseSeedArgs(args)).toThrow(message);
  });

  it('the CLI exits 2 with the message and touches nothing on a bad flag', async () => {
    const result = await seedCli(['--products', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--products must be a positive integer up to 10000000 (got 'many')");
  });

  it('the CLI refuses to seed demo accounts in production', async () => {
    const result = await seedCli([], { NODE_ENV: 'production' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to create demo accounts/);
  });

  it('spreads orders over users as evenly as possible', () => {
    expect(spread(10, 4)).toEqual([
      { perSlot: 3, slots: 2 },
      { perSlot: 2, slots: 2 },
    ]);
    expect(spread(2, 5)).toEqual([{ perSlot: 1, slots: 2 }]);
    expect(spread(8, 4)).toEqual([{ perSlot: 2, slots: 4 }]);
  });
});

describe('seeding a dataset into the four databases', () => {
  let opened: SubgraphDatabase[];
  const database = (name: string) => opened.find((o) => o.name === name)!;

  beforeAll(async () => {
    opened = await migrateAll(env);
  });
  afterAll(async () => {
    if (opened) await closeDatabases(opened);
  });

  it('npm run seed -- --products N adds N products to the database named for the product subgraph', async () => {
    const result = await seedCli(['--products', '12']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/seeded 12 products, the demo accounts, 0 users, 0 carts, 0 orders/);
    expect(await count(database('product'), 'products')).toBe(12);
    expect(await count(database('user'), 'users')).toBe(2);
  });

  it('seeds products, users with carts and orders spread over them, with progress for each stage', async () => {
    const reported = new Map<SeedStage, { done: number; total: number }>();
    const seeded = await seedDataset(
      byName(opened),
      { products: 20, users: 4, orders: 10, cartLines: 2, linesPerOrder: 3, demoAccounts: true },
      { nodeEnv: 'test', onProgress: (stage, done, total) => reported.set(stage, { done, total }) },
    );

    expect(seeded.userIds).toHaveLength(4);
    expect(await count(database('product'), 'products')).toBe(32);
    // Every product's created event waits in the outbox for the relay, so carts and orders learn the prices.
    const created = await database('product').db.selectFrom('outbox').select('aggregate_id').where('type', '=', 'product.created').execute();
    expect(created).toHaveLength(32);
    expect(await count(database('user'), 'users')).toBe(6);
    expect(await count(database('cart'), 'cart_lines')).toBe(8);

    const perUser = await database('order')
      .db.selectFrom('orders')
      .select(['user_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('user_id')
      .execute();
    expect(perUser.map((r) => Number(r.n)).sort()).toEqual([2, 2, 3, 3]);
    expect(perUser.map((r) => r.user_id).sort()).toEqual([...seeded.userIds].sort());
    expect(await count(database('order'), 'order_lines')).toBe(30);

    expect(Object.fromEntries(reported)).toEqual({
      products: { done: 20, total: 20 },
      'demo accounts': { done: 2, total: 2 },
      users: { done: 4, total: 4 },
      carts: { done: 4, total: 4 },
      orders: { done: 10, total: 10 },
    });
  });

  it('refuses demo accounts in production before writing anything', async () => {
    const before = await count(database('product'), 'products');
    await expect(seedDataset(byName(opened), DEMO_DATASET, { nodeEnv: 'production' })).rejects.toThrow(/refusing to create demo accounts/);
    expect(await count(database('product'), 'products')).toBe(before);
  });
});
