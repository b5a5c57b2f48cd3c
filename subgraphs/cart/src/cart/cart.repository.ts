import { sql, type Kysely, type Transaction } from 'kysely';
import type { OrderLine } from '@shop/contracts';
import type { CartDatabase, StoredCart } from './cart.table';

type Db = Kysely<CartDatabase> | Transaction<CartDatabase>;
type Trx = Transaction<CartDatabase>;

/** Carts of many users and all their lines in one statement; users without a cart are absent. */
export async function findCartsByUserIds(db: Db, userIds: readonly string[]): Promise<StoredCart[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('carts as c')
    .leftJoin('cart_lines as l', 'l.user_id', 'c.user_id')
    .select(['c.user_id', 'c.updated_at', 'l.product_id', 'l.quantity'])
    .where('c.user_id', 'in', userIds)
    .orderBy('c.user_id')
    .orderBy('l.created_at')
    .orderBy('l.product_id')
    .execute();
  const carts = new Map<string, StoredCart>();
  for (const row of rows) {
    let cart = carts.get(row.user_id);
    if (!cart) carts.set(row.user_id, (cart = { userId: row.user_id, updatedAt: row.updated_at, lines: [] }));
    if (row.product_id !== null && row.quantity !== null) cart.lines.push({ productId: row.product_id, quantity: row.quantity });
  }
  return [...carts.values()];
}

/**
 * Creates the user's cart row if needed and locks it until the transaction ends, so writes
 * to one cart (from any replica) run one after another and its bounds hold under races.
 */
export async function lockCart(trx: Trx, userId: string): Promise<void> {
  await trx
    .insertInto('carts')
    .values({ user_id: userId })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ updated_at: sql<Date>`now()` }))
    .execute();
}

/** Locks an existing cart only (events never create carts); false if the user has none. */
export async function findCartForUpdate(trx: Trx, userId: string): Promise<boolean> {
  const row = await trx.selectFrom('carts').select('user_id').where('user_id', '=', userId).forUpdate().executeTakeFirst();
  return row !== undefined;
}

export async function touchCart(trx: Trx, userId: string): Promise<void> {
  await trx
    .updateTable('carts')
    .set({ updated_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .execute();
}

/** The lines of a locked cart with their current unit prices (null if unknown). */
export async function findLockedLines(trx: Trx, userId: string) {
  return trx
    .selectFrom('cart_lines as l')
    .leftJoin('product_prices as p', 'p.product_id', 'l.product_id')
    .select(['l.product_id', 'l.quantity', 'p.price_cents'])
    .where('l.user_id', '=', userId)
    .execute();
}

export async function upsertLine(trx: Trx, userId: string, productId: string, quantity: number): Promise<void> {
  await trx
    .insertInto('cart_lines')
    .values({ user_id: userId, product_id: productId, quantity })
    .onConflict((oc) => oc.columns(['user_id', 'product_id']).doUpdateSet({ quantity, updated_at: sql<Date>`now()` }))
    .execute();
}

export async function deleteLine(trx: Trx, userId: string, productId: string): Promise<void> {
  await trx.deleteFrom('cart_lines').where('user_id', '=', userId).where('product_id', '=', productId).execute();
}

export async function deleteAllLines(trx: Trx, userId: string): Promise<void> {
  await trx.deleteFrom('cart_lines').where('user_id', '=', userId).execute();
}

/**
 * Takes ordered quantities out of a cart: lines that would reach 0 or below go, the rest
 * shrink; products not in the cart are untouched. `lines` has one entry per product.
 */
export async function subtractLines(trx: Trx, userId: string, lines: OrderLine[]): Promise<number> {
  if (lines.length === 0) return 0;
  const values = sql.join(lines.map((l) => sql`(${l.productId}::uuid, ${l.quantity}::int)`));
  const deleted = await sql`
    delete from cart_lines l using (values ${values}) as v(product_id, quantity)
    where l.user_id = ${userId} and l.product_id = v.product_id and l.quantity <= v.quantity`.execute(trx);
  const updated = await sql`
    update cart_lines l set quantity = l.quantity - v.quantity, updated_at = now()
    from (values ${values}) as v(product_id, quantity)
    where l.user_id = ${userId} and l.product_id = v.product_id`.execute(trx);
  return Number(deleted.numAffectedRows ?? 0n) + Number(updated.numAffectedRows ?? 0n);
}
