import { sql, type Kysely, type Transaction } from 'kysely';
import type { Role } from '@shop/runtime';
import type { UserDatabase, UserRow } from './user.table';

type Db = Kysely<UserDatabase> | Transaction<UserDatabase>;

export async function findUsersByIds(db: Db, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUserIdsByEmails(db: Db, emails: readonly string[]): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'email']).where('email', 'in', emails).execute();
  return new Map(rows.map((r) => [r.email, r.id]));
}

export async function insertUser(trx: Db, values: { email: string; name: string; role: Role; password_hash: string }): Promise<UserRow> {
  return trx.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Inserts whoever is missing (by email); returns the rows it inserted. For seeding. */
export async function insertUsersIfMissing(trx: Db, values: Array<{ email: string; name: string; role: Role; password_hash: string }>): Promise<UserRow[]> {
  if (values.length === 0) return [];
  return trx
    .insertInto('users')
    .values(values)
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .execute();
}

export async function updateUserName(trx: Db, id: string, name: string): Promise<UserRow | undefined> {
  return trx
    .updateTable('users')
    .set({ name, updated_at: sql`now()` as unknown as Date })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const { count } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
