import type { ColumnType } from 'kysely';
import type { EventTables } from '@shop/runtime/subgraph';
import type { ProductPricesTable } from '@shop/domain';

export interface CartsTable {
  user_id: string;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CartLinesTable {
  user_id: string;
  product_id: string;
  quantity: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CartDatabase extends EventTables {
  product_prices: ProductPricesTable;
  carts: CartsTable;
  cart_lines: CartLinesTable;
}

/** A cart as one statement reads it: the carts row and its lines (none for an empty cart). */
export interface StoredCart {
  userId: string;
  updatedAt: Date;
  lines: Array<{ productId: string; quantity: number }>;
}
