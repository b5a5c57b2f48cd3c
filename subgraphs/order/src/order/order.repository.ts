import { sql, type Kysely, type Transaction } from 'kysely';
import type { Cursor } from '@shop/runtime/subgraph';
import type { OrderStatus } from './order.states';
import type { OrderDatabase, OrderLineRow, OrderRow } from './order.table';

type Db = Kysely<OrderDatabase> | Transaction<OrderDatabase>;

const nowMs = sql<Date>`date_trunc('milliseconds', now())`;

export async function findOrdersByIds(db: Db, ids: readonly string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('orders').selectAll().where('id', 'in', ids).execute();
}

/** The lines of many orders in one statement, in each order's line order. */
export async function findLinesByOrderIds(db: Db, orderIds: readonly string[]): Promise<OrderLineRow[]> {
  if (orderIds.length === 0) return [];
  return db.selectFrom('order_lines').selectAll().where('order_id', 'in', orderIds).orderBy('order_id').orderBy('position').execute();
}

export async function findOrderByIdempotencyKey(db: Db, userId: string, idempotencyKey: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('user_id', '=', userId).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
}

export async function findOrderForUpdate(trx: Db, id: string): Promise<OrderRow | undefined> {
  return trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Newest first, keyset-paginated; fetches one extra row to know whether a next page exists. */
export async function listOrdersByUser(db: Db, userId: string, page: { limit: number; after: Cursor | null }): Promise<OrderRow[]> {
  let query = db.selectFrom('orders').selectAll().where('user_id', '=', userId);
  if (page.after) {
    const { createdAt, id } = page.after;
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

/**
 * Inserts the order unless this user already used the key; undefined then (the caller
 * re-reads the winner). A racing insert of the same key waits for the other to commit.
 */
export async function insertOrderOnce(
  trx: Db,
  values: { user_id: string; status: OrderStatus; total_cents: number; idempotency_key: string; request_hash: string },
): Promise<OrderRow | undefined> {
  return trx
    .insertInto('orders')
    .values(values)
    .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function insertOrderLines(trx: Db, lines: OrderLineRow[]): Promise<void> {
  if (lines.length === 0) return;
  await trx.insertInto('order_lines').values(lines).execute();
}

export async function setOrderStatus(trx: Db, id: string, status: OrderStatus): Promise<OrderRow> {
  return trx.updateTable('orders').set({ status, updated_at: nowMs }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** The newest `limit` orders of each user, for many users in one statement. */
export async function findRecentOrdersByUsers(db: Db, userIds: readonly string[], limit: number): Promise<OrderRow[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom((eb) =>
      eb
        .selectFrom('orders')
        .selectAll()
        .select(sql<number>`row_number() over (partition by user_id order by created_at desc, id desc)`.as('rank'))
        .where('user_id', 'in', userIds)
        .as('ranked'),
    )
    .selectAll()
    .where('rank', '<=', limit)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
    .then((rows) => rows.map(({ rank: _rank, ...row }) => row as OrderRow));
}
