import type { ColumnType, Kysely, Selectable, Transaction } from 'kysely';
import type { EventEnvelope, ProductPriced } from '@shop/contracts';
import { isUuid } from '../graphql/ids';

/**
 * A consumer's own copy of product prices, fed only by product.created / price-changed
 * events. Cart and order each keep one in their own database (their migrations create the
 * `product_prices` table); this is the shared way to read and write it.
 */
export interface ProductPricesTable {
  product_id: string;
  sku: string;
  name: string;
  price_cents: number;
  version: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ProductPriceRow = Selectable<ProductPricesTable>;

type Db = Kysely<{ product_prices: ProductPricesTable }>;

// 5 parameters a row; well below Postgres' 65535 bind parameters per statement.
const UPSERT_BATCH = 2_000;
const MAX_INT = 2_147_483_647;

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

const isCount = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_INT;

/** A malformed payload throws: the bus retries it and then parks it in the dead-letter queue. */
export function parseProductPriced(event: EventEnvelope): ProductPriced {
  const p = event.payload as Partial<ProductPriced>;
  if (
    typeof p.productId !== 'string' ||
    !isUuid(p.productId) ||
    typeof p.sku !== 'string' ||
    typeof p.name !== 'string' ||
    !isCount(p.priceCents, 1) ||
    !isCount(p.version, 1)
  ) {
    throw new Error(`malformed ${event.type} payload in event ${event.id}`);
  }
  return { productId: p.productId.toLowerCase(), sku: p.sku, name: p.name, priceCents: p.priceCents, version: p.version };
}
