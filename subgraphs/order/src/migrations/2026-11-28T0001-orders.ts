import { sql, type Kysely } from 'kysely';
import { createProductPricesTable } from '@shop/domain';

// Timestamps are kept to the millisecond: keyset cursors carry a JS Date, and a microsecond
// remainder would make the cursor compare below rows of the same millisecond and skip them.
const nowMs = sql`date_trunc('milliseconds', now())`;

export async function up(db: Kysely<any>): Promise<void> {
  await createProductPricesTable(db);

  await db.schema
    .createTable('orders')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED')`))
    .addColumn('total_cents', 'integer', (c) => c.notNull().check(sql`total_cents >= 0`))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(nowMs))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(nowMs))
    .addUniqueConstraint('orders_user_idempotency_key', ['user_id', 'idempotency_key'])
    .execute();
  await sql`create index orders_user_newest on orders (user_id, created_at desc, id desc)`.execute(db);

  await db.schema
    .createTable('order_lines')
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('product_name', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('unit_price_cents', 'integer', (c) => c.notNull().check(sql`unit_price_cents >= 0`))
    .addPrimaryKeyConstraint('order_lines_pkey', ['order_id', 'position'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('order_lines').execute();
  await db.schema.dropTable('orders').execute();
  await db.schema.dropTable('product_prices').execute();
}
