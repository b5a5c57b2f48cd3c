import type { ColumnType, Generated, Selectable } from 'kysely';
import type { EventTables } from '@shop/runtime/subgraph';
import type { ProductPricesTable } from '@shop/domain';
import type { OrderStatus } from './order.states';

export interface OrdersTable {
  id: Generated<string>;
  user_id: string;
  status: OrderStatus;
  total_cents: number;
  idempotency_key: string;
  request_hash: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface OrderLinesTable {
  order_id: string;
  position: number;
  product_id: string;
  product_name: string;
  quantity: number;
  unit_price_cents: number;
}

export interface OrderDatabase extends EventTables {
  product_prices: ProductPricesTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
}

export type OrderRow = Selectable<OrdersTable>;
export type OrderLineRow = Selectable<OrderLinesTable>;
