import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ProductPriced } from '@shop/contracts';
import { lineCents, sumCents } from '@shop/domain';
import { requestHash } from './order/order.rules';
import type { OrderDatabase, OrderLineRow, OrderRow } from './order/order.table';
import { upsertProductPrices } from '@shop/domain';

export { upsertProductPrices };

export async function countOrders(db: Kysely<OrderDatabase>): Promise<number> {
  const { count } = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export interface SeedOrdersOptions {
  userIds: readonly string[];
  products: readonly ProductPriced[];
  ordersPerUser: number;
  linesPerOrder: number;
  /** Orders per transaction. */
  batchSize?: number;
  onProgress?: (done: number) => void;
}

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

// Keeps every insert well below Postgres' 65535 bind parameters.
const ROWS_PER_STATEMENT = 5_000;

/**
 * Benchmark data: writes the price projection for `products` (by version, as the event
 * handler would) and CONFIRMED historic orders with lines, in batches, without events.
 * Each user's orders are a minute apart, newest first from now.
 */
export async function seedOrders(db: Kysely<OrderDatabase>, options: SeedOrdersOptions): Promise<{ orders: number; lines: number }> {
  const batchSize = options.batchSize ?? 500;
  for (const products of chunk(options.products, ROWS_PER_STATEMENT / 5)) await upsertProductPrices(db, products);
  const total = options.userIds.length * options.ordersPerUser;
  if (total === 0) return { orders: 0, lines: 0 };
  if (options.products.length === 0) throw new Error('seedOrders needs at least one product to order');
  const linesPerOrder = Math.max(1, Math.min(options.linesPerOrder, options.products.length));
  const now = Date.now();

  let done = 0;
  let lineCount = 0;
  for (let start = 0; start < total; start += batchSize) {
    const orders: OrderRow[] = [];
    const lines: OrderLineRow[] = [];
    for (let n = start; n < Math.min(total, start + batchSize); n++) {
      const userId = options.userIds[n % options.userIds.length]!;
      const age = Math.floor(n / options.userIds.length) + 1;
      const id = randomUUID();
      const picked = Array.from({ length: linesPerOrder }, (_, k) => {
        // The age term varies a user's orders: with as many users as products, n alone would
        // give every order of a user the same lines.
        const product = options.products[(n * linesPerOrder + k + age * 7) % options.products.length]!;
        return { product, quantity: 1 + ((n + k) % 3) };
      });
      orders.push({
        id,
        user_id: userId,
        status: 'CONFIRMED',
        total_cents: sumCents(picked.map((p) => lineCents(p.product.priceCents, p.quantity))),
        idempotency_key: `seed-${id}`,
        request_hash: requestHash(picked.map((p) => ({ productId: p.product.productId, quantity: p.quantity }))),
        created_at: new Date(now - age * 60_000),
        updated_at: new Date(now - age * 60_000),
      });
      picked.forEach((p, position) =>
        lines.push({
          order_id: id,
          position,
          product_id: p.product.productId,
          product_name: p.product.name,
          quantity: p.quantity,
          unit_price_cents: p.product.priceCents,
        }),
      );
    }
    await db.transaction().execute(async (trx) => {
      for (const rows of chunk(orders, ROWS_PER_STATEMENT / 10)) await trx.insertInto('orders').values(rows).execute();
      for (const rows of chunk(lines, ROWS_PER_STATEMENT / 10)) await trx.insertInto('order_lines').values(rows).execute();
    });
    done += orders.length;
    lineCount += lines.length;
    options.onProgress?.(done);
  }
  return { orders: done, lines: lineCount };
}
