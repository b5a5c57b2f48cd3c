import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The `product_prices` table as cart and order create it: one definition, so the two
 * projections cannot drift. Prices are positive, as the product subgraph's own are.
 */
export async function createProductPricesTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('product_prices')
    .addColumn('product_id', 'uuid', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('price_cents', 'integer', (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

/**
 * Settles the price check at `> 0` in databases made before the table had one definition:
 * cart's first migration created it with `>= 0`. Replaces Postgres' default-named check;
 * no event ever carried a price below 1 cent (`parseProductPriced`), so no row fails it.
 */
export const positivePricesMigration: Migration = {
  async up(db: Kysely<any>) {
    await sql`alter table product_prices
      drop constraint if exists product_prices_price_cents_check,
      add constraint product_prices_price_cents_check check (price_cents > 0)`.execute(db);
  },
  async down() {
    // Nothing to undo: `> 0` is what every copy of the table had or should have had.
  },
};
