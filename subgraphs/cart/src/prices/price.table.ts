import type { ColumnType, Selectable } from 'kysely';

/** The cart's own copy of product prices, written only by product events. */
export interface ProductPricesTable {
  product_id: string;
  sku: string;
  name: string;
  price_cents: number;
  version: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type PriceRow = Selectable<ProductPricesTable>;
