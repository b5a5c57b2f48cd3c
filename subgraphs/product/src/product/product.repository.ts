import { sql, type Kysely, type Transaction } from 'kysely';
import type { Cursor } from '@shop/runtime/subgraph';
import type { ProductDatabase, ProductRow } from './product.table';

type Db = Kysely<ProductDatabase> | Transaction<ProductDatabase>;

export async function findProductsByIds(db: Db, ids: readonly string[]): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('products').selectAll().where('id', 'in', ids).execute();
}

export async function findProductsBySkus(db: Db, skus: readonly string[]): Promise<ProductRow[]> {
  if (skus.length === 0) return [];
  return db.selectFrom('products').selectAll().where('sku', 'in', skus).execute();
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Newest first, keyset-paginated; fetches one extra row to know whether a next page exists. */
export async function listProducts(
  db: Db,
  filter: { limit: number; after: Cursor | null; category?: string | null; search?: string | null },
): Promise<ProductRow[]> {
  let query = db.selectFrom('products').selectAll();
  if (filter.category) query = query.where('category', '=', filter.category);
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  if (filter.after) {
    const { createdAt, id } = filter.after;
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
}

export async function insertProduct(
  trx: Db,
  values: { sku: string; name: string; description: string; category: string; price_cents: number; stock: number },
): Promise<ProductRow> {
  return trx.insertInto('products').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Applies a patch; a changed name or price bumps the version that events carry. */
export async function updateProduct(
  trx: Db,
  id: string,
  patch: { name?: string; description?: string; category?: string; price_cents?: number },
  bumpVersion: boolean,
): Promise<ProductRow | undefined> {
  return trx
    .updateTable('products')
    .set({ ...patch, updated_at: sql`now()` as unknown as Date, ...(bumpVersion ? { version: sql`version + 1` as unknown as number } : {}) })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function findProductForUpdate(trx: Db, id: string): Promise<ProductRow | undefined> {
  return trx.selectFrom('products').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function addStock(trx: Db, id: string, quantity: number): Promise<ProductRow | undefined> {
  return trx
    .updateTable('products')
    .set({ stock: sql`stock + ${quantity}` as unknown as number, updated_at: sql`now()` as unknown as Date })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function countProducts(db: Db): Promise<number> {
  const { count } = await db
    .selectFrom('products')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
