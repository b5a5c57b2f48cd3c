import { sql, type Kysely } from 'kysely';
import { createProductPricesTable } from '@shop/domain';

export async function up(db: Kysely<any>): Promise<void> {
  await createProductPricesTable(db);

  // One row per user who ever touched a cart; mutations lock it to serialise writes to one cart.
  await db.schema
    .createTable('carts')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('cart_lines')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('carts.user_id').onDelete('cascade'))
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity between 1 and 999`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('cart_lines_pk', ['user_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cart_lines').execute();
  await db.schema.dropTable('carts').execute();
  await db.schema.dropTable('product_prices').execute();
}
