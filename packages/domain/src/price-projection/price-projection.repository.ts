import type { Kysely, Transaction } from 'kysely';
import type { ProductPriced } from '@shop/contracts';
import type { ProductPriceRow, ProductPricesTable } from './price-projection.table';

type Db = Kysely<{ product_prices: ProductPricesTable }>;

// 5 parameters a row; well below Postgres' 65535 bind parameters per statement.
const UPSERT_BATCH = 2_000;

export async function findProductPrices(db: Kysely<any> | Transaction<any>, productIds: readonly string[]): Promise<ProductPriceRow[]> {
  if (productIds.length === 0) return [];
  return (db as Db).selectFrom('product_prices').selectAll().where('product_id', 'in', productIds).execute();
}

/**
 * Writes product prices, each only if its version is newer than the stored one, so a stale or
 * replayed event never overwrites a later price. Returns how many rows changed.
 */
export async function upsertProductPrices(db: Kysely<any> | Transaction<any>, products: readonly ProductPriced[]): Promise<number> {
  let changed = 0;
  for (let offset = 0; offset < products.length; offset += UPSERT_BATCH) {
    // One product once per statement: ON CONFLICT cannot touch the same row twice.
    const newest = new Map<string, ProductPriced>();
    for (const p of products.slice(offset, offset + UPSERT_BATCH)) {
      const seen = newest.get(p.productId);
      if (!seen || seen.version < p.version) newest.set(p.productId, p);
    }
    const result = await (db as Db)
      .insertInto('product_prices')
      .values(
        [...newest.values()].map((p) => ({
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
          .doUpdateSet((eb) => ({
            sku: eb.ref('excluded.sku'),
            name: eb.ref('excluded.name'),
            price_cents: eb.ref('excluded.price_cents'),
            version: eb.ref('excluded.version'),
            updated_at: new Date(),
          }))
          .where((eb) => eb('product_prices.version', '<', eb.ref('excluded.version'))),
      )
      .executeTakeFirst();
    changed += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return changed;
}
