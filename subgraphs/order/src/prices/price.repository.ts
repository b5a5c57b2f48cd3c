import { sql, type Kysely, type Transaction } from 'kysely';
import type { ProductPriced } from '@shop/contracts';
import type { OrderDatabase } from '../order/order.table';
import type { ProductPriceRow } from './price.table';

type Db = Kysely<OrderDatabase> | Transaction<OrderDatabase>;

/**
 * Upserts projection rows; a row only moves forward in version, so a stale or reordered
 * product event changes nothing.
 */
export async function upsertProductPrices(db: Db, products: readonly ProductPriced[]): Promise<void> {
  if (products.length === 0) return;
  await db
    .insertInto('product_prices')
    .values(
      products.map((p) => ({
        product_id: p.productId,
        sku: p.sku,
        name: p.name,
        price_cents: p.priceCents,
        version: p.version,
      })),
    )
    .onConflict((oc) =>
      oc
        .column('product_id')
        .doUpdateSet({
          sku: (eb) => eb.ref('excluded.sku'),
          name: (eb) => eb.ref('excluded.name'),
          price_cents: (eb) => eb.ref('excluded.price_cents'),
          version: (eb) => eb.ref('excluded.version'),
          updated_at: sql<Date>`now()`,
        })
        .where('product_prices.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

export async function findProductPrices(db: Db, productIds: readonly string[]): Promise<ProductPriceRow[]> {
  if (productIds.length === 0) return [];
  return db.selectFrom('product_prices').selectAll().where('product_id', 'in', productIds).execute();
}
