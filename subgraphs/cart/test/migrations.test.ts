import { sql, Migrator, NO_MIGRATIONS, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, ensureDatabase, migrateToLatest } from '@shop/runtime';
import { createTestRun } from '@shop/testing';
import { migrations } from '../src/migrations';

const run = createTestRun();
let db: Kysely<any>;

const tables = async () =>
  (await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely%'
    order by table_name`.execute(db)).rows.map((r) => r.table_name);

beforeAll(async () => {
  const env = run.env('cart_migrations');
  await ensureDatabase(env.POSTGRES_URL!, env.POSTGRES_DB!);
  db = createDatabase({ url: env.POSTGRES_URL!, database: env.POSTGRES_DB! });
});
afterAll(async () => {
  await db?.destroy();
  await run.cleanup();
});

describe('cart migrations', () => {
  it('build the event, projection and cart tables in an empty database, and apply nothing the second time', async () => {
    expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations));
    expect(await tables()).toEqual(['cart_lines', 'carts', 'inbox', 'outbox', 'product_prices']);
    expect(await migrateToLatest(db, migrations)).toEqual([]);
  });

  it('refuse a line quantity outside 1..999 and a second line for the same product', async () => {
    const userId = '11111111-1111-4111-8111-111111111111';
    const productId = '22222222-2222-4222-8222-222222222222';
    await db.insertInto('carts').values({ user_id: userId }).execute();
    await expect(db.insertInto('cart_lines').values({ user_id: userId, product_id: productId, quantity: 0 }).execute()).rejects.toThrow(/check/);
    await expect(db.insertInto('cart_lines').values({ user_id: userId, product_id: productId, quantity: 1000 }).execute()).rejects.toThrow(/check/);
    await db.insertInto('cart_lines').values({ user_id: userId, product_id: productId, quantity: 999 }).execute();
    await expect(db.insertInto('cart_lines').values({ user_id: userId, product_id: productId, quantity: 1 }).execute()).rejects.toThrow(/duplicate key/);
  });

  it('roll all the way back down', async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(NO_MIGRATIONS);
    expect(error).toBeUndefined();
    expect(await tables()).toEqual([]);
  });
});
