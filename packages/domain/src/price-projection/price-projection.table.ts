import type { ColumnType, Selectable } from 'kysely';

/**
 * A consumer's own copy of product prices, fed only by product.created / price-changed
 * events. Cart and order each keep one in their own database (each runs `createProductPricesTable` in its
 * own migrations); this is the shared way to read and write it.
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
