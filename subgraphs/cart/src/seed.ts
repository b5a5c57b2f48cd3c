import type { Kysely } from 'kysely';
import type { ProductPriced } from '@shop/contracts';
import { isUuid } from '@shop/runtime';
import { LIMITS } from './cart/cart.rules';
import type { CartDatabase } from './cart/cart.table';
import { upsertProductPrices } from '@shop/domain';

export { upsertProductPrices };

// 3 parameters a line row; stays below Postgres' 65535 bind parameters per statement.
const LINE_BATCH = 10_000;

/**
 * Benchmark datasets: writes the price projection for `products` (newer versions win, as with
 * events) and a cart of `linesPerCart` distinct products for every user, a batch of users per
 * transaction. Users' carts are spread over the products so they do not all hold the same ones.
 */
export async function seedCarts(
  db: Kysely<CartDatabase>,
  options: {
    userIds: readonly string[];
    products: readonly ProductPriced[];
    linesPerCart: number;
    usersPerBatch?: number;
    onProgress?: (doneUsers: number) => void;
  },
): Promise<{ carts: number; lines: number }> {
  const { userIds, products, linesPerCart } = options;
  const usersPerBatch = options.usersPerBatch ?? 500;
  if (!Number.isInteger(linesPerCart) || linesPerCart < 0 || linesPerCart > LIMITS.lines) {
    throw new Error(`linesPerCart must be between 0 and ${LIMITS.lines}`);
  }
  if (linesPerCart > products.length) throw new Error(`linesPerCart (${linesPerCart}) exceeds the ${products.length} products given`);
  const badUser = userIds.find((id) => !isUuid(id));
  if (badUser) throw new Error(`not a user id: ${badUser}`);

  await upsertProductPrices(db, products);
  let lines = 0;
  for (let offset = 0; offset < userIds.length; offset += usersPerBatch) {
    const batch = userIds.slice(offset, offset + usersPerBatch).map((id) => id.toLowerCase());
    const rows = batch.flatMap((userId, i) => {
      const start = ((offset + i) * linesPerCart) % Math.max(products.length, 1);
      return Array.from({ length: linesPerCart }, (_, j) => ({
        user_id: userId,
        product_id: products[(start + j) % products.length]!.productId.toLowerCase(),
        quantity: 1 + ((offset + i + j) % 3),
      }));
    });
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('carts')
        .values(batch.map((userId) => ({ user_id: userId })))
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ updated_at: new Date() }))
        .execute();
      for (let at = 0; at < rows.length; at += LINE_BATCH) {
        await trx
          .insertInto('cart_lines')
          .values(rows.slice(at, at + LINE_BATCH))
          .onConflict((oc) => oc.columns(['user_id', 'product_id']).doUpdateSet((eb) => ({ quantity: eb.ref('excluded.quantity') })))
          .execute();
      }
    });
    lines += rows.length;
    options.onProgress?.(offset + batch.length);
  }
  return { carts: userIds.length, lines };
}
