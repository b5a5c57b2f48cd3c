import type { ColumnType, Selectable } from 'kysely';

/** The order subgraph's projection of product prices, fed by product events. */
export interface ProductPricesTable {
  product_id: string;
  sku: string;
  name: string;
  price_cents: number;
  version: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ProductPriceRow = Selectable<ProductPricesTable>;
