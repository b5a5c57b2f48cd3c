import { randomUUID } from 'node:crypto';
import { NO_MIGRATIONS, Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, ensureDatabase, migrateToLatest } from '@shop/runtime/subgraph';
import { createTestRun } from '@shop/testing';
import { migrations } from '../src/migrations';

const run = createTestRun();
let db: Kysely<any>;

beforeAll(async () => {
  const env = run.env('ordermig');
  await ensureDatabase(env.POSTGRES_URL!, env.POSTGRES_DB!);
  db = createDatabase({ url: env.POSTGRES_URL!, database: env.POSTGRES_DB! });
});
afterAll(async () => {
  await db?.destroy();
  await run.cleanup();
});

const tables = async () =>
  (
    await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db)
  ).rows.map((r) => r.table_name);

describe('order migrations', () => {
  it('create every table on an empty database, and running again changes nothing', async () => {
    expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations));
    expect(await tables()).toEqual(['inbox', 'order_lines', 'orders', 'outbox', 'product_prices']);
    expect(await migrateToLatest(db, migrations)).toEqual([]);
  });

  it('allow one order per user and idempotency key', async () => {
    const userId = randomUUID();
    const order = { user_id: userId, status: 'PENDING', total_cents: 100, idempotency_key: 'k', request_hash: 'h' };
    await db.insertInto('orders').values(order).execute();
    await expect(db.insertInto('orders').values(order).execute()).rejects.toMatchObject({ code: '23505' });
    await db
      .insertInto('orders')
      .values({ ...order, user_id: randomUUID() })
      .execute();
    await expect(
      db
        .insertInto('orders')
        .values({ ...order, idempotency_key: 'k2', status: 'SHIPPED' })
        .execute(),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('refuse a projected price of 0 cents, as the product subgraph does', async () => {
    const price = { product_id: randomUUID(), sku: 'S', name: 'N', price_cents: 0, version: 1 };
    await expect(db.insertInto('product_prices').values(price).execute()).rejects.toMatchObject({ code: '23514' });
    await db
      .insertInto('product_prices')
      .values({ ...price, price_cents: 1 })
      .execute();
  });

  it('roll back to nothing and forward again', async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(await tables()).toEqual([]);
    expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations));
  });
});
