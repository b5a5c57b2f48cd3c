import { sql, Migrator, NO_MIGRATIONS, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, ensureDatabase, migrateToLatest } from '@shop/runtime/subgraph';
import { createTestRun } from '@shop/testing';
import { migrations } from '../src/migrations';

const run = createTestRun();
let db: Kysely<any>;

const tables = async () =>
  (
    await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely%'
    order by table_name`.execute(db)
  ).rows.map((r) => r.table_name);

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

  it('refuse a projected price of 0 cents, as the product subgraph does', async () => {
    const price = (cents: number) => ({ product_id: '33333333-3333-4333-8333-333333333333', sku: 'S', name: 'N', price_cents: cents, version: 1 });
    await expect(db.insertInto('product_prices').values(price(0)).execute()).rejects.toThrow(/check/);
    await db.insertInto('product_prices').values(price(1)).execute();
  });

  it('roll all the way back down', async () => {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(NO_MIGRATIONS);
    expect(error).toBeUndefined();
    expect(await tables()).toEqual([]);
  });
});

describe('the positive-prices migration', () => {
  it('settles a projection made when cart allowed 0 cents: its rows stay, 0 is refused from then on', async () => {
    const env = run.env('cart_migrations_old');
    await ensureDatabase(env.POSTGRES_URL!, env.POSTGRES_DB!);
    const old = createDatabase({ url: env.POSTGRES_URL!, database: env.POSTGRES_DB! });
    try {
      const migrator = new Migrator({ db: old, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo('2026-11-29T0000-event-retention')).error).toBeUndefined();
      // The table as cart's first migration used to create it.
      await sql`alter table product_prices drop constraint product_prices_price_cents_check,
        add constraint product_prices_price_cents_check check (price_cents >= 0)`.execute(old);
      const row = { product_id: '44444444-4444-4444-8444-444444444444', sku: 'OLD', name: 'Old', price_cents: 250, version: 3 };
      await old.insertInto('product_prices').values(row).execute();

      expect(await migrateToLatest(old, migrations)).toEqual(['2026-12-05T0000-positive-prices']);
      expect(await old.selectFrom('product_prices').select(['sku', 'price_cents']).execute()).toEqual([{ sku: 'OLD', price_cents: 250 }]);
      await expect(
        old
          .insertInto('product_prices')
          .values({ ...row, product_id: '55555555-5555-4555-8555-555555555555', price_cents: 0 })
          .execute(),
      ).rejects.toThrow(/check/);
    } finally {
      await old.destroy();
    }
  });
});
