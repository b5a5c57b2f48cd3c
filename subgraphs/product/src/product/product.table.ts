import type { ColumnType, Generated, Selectable } from 'kysely';
import type { EventTables } from '@shop/runtime/subgraph';
import type { ReservationsTable } from '../reservation/reservation.table';

export interface ProductsTable {
  id: Generated<string>;
  sku: string;
  name: string;
  description: string;
  category: string;
  price_cents: number;
  stock: number;
  version: Generated<number>;
  created_at: ColumnType<Date, Date | undefined, Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ProductDatabase extends EventTables {
  products: ProductsTable;
  reservations: ReservationsTable;
}

export type ProductRow = Selectable<ProductsTable>;
