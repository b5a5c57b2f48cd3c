import { sql, type Transaction } from 'kysely';
import type { OrderLine } from '@shop/contracts';
import type { ProductDatabase } from '../product/product.table';
import type { ReservationsTable } from './reservation.table';

type Trx = Transaction<ProductDatabase>;

/** Serialises everything that happens to one order's reservation, across replicas. */
export async function lockOrder(trx: Trx, orderId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`.execute(trx);
}

export async function findReservation(trx: Trx, orderId: string) {
  return trx.selectFrom('reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export async function insertReservation(
  trx: Trx,
  row: { orderId: string; userId: string; status: ReservationsTable['status']; lines: OrderLine[] },
): Promise<void> {
  await trx
    .insertInto('reservations')
    .values({ order_id: row.orderId, user_id: row.userId, status: row.status, lines: JSON.stringify(row.lines) })
    .execute();
}

export async function setReservationStatus(trx: Trx, orderId: string, status: ReservationsTable['status']): Promise<void> {
  await trx.updateTable('reservations').set({ status, updated_at: new Date() }).where('order_id', '=', orderId).execute();
}

/** Locks the products of an order in id order (no deadlocks between concurrent orders). */
export async function lockStock(trx: Trx, productIds: string[]): Promise<Map<string, number>> {
  if (productIds.length === 0) return new Map();
  const rows = await trx.selectFrom('products').select(['id', 'stock']).where('id', 'in', productIds).orderBy('id').forUpdate().execute();
  return new Map(rows.map((r) => [r.id, r.stock]));
}

/** Adds (positive) or takes (negative) stock for many products in one statement. */
export async function adjustStock(trx: Trx, deltas: Array<{ productId: string; delta: number }>): Promise<void> {
  if (deltas.length === 0) return;
  const values = sql.join(deltas.map((d) => sql`(${d.productId}::uuid, ${d.delta}::int)`));
  await sql`
    update products set stock = products.stock + v.delta, updated_at = now()
    from (values ${values}) as v(id, delta)
    where products.id = v.id`.execute(trx);
}
