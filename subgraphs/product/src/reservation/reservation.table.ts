import type { ColumnType, Generated } from 'kysely';

/** What one order's reservation holds: written once per order, by the order's events only. */
export interface ReservationsTable {
  order_id: string;
  user_id: string;
  status: 'held' | 'failed' | 'released' | 'cancelled';
  lines: ColumnType<Array<{ productId: string; quantity: number }>, string, string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
