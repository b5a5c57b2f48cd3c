import { Migrator, NO_MIGRATIONS, sql, type Migration, type MigrationProvider } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, ensureDatabase, migrateToLatest } from '@shop/runtime/subgraph';
import { createTestRun, POSTGRES_URL } from '@shop/testing';
import { migrations } from '../src/migrations';

const run = createTestRun();
const database = run.env('user_migrations').POSTGRES_DB!;
let db: ReturnType<typeof createDatabase<any>>;

beforeAll(async () => {
  await ensureDatabase(POSTGRES_URL, database);
  db = createDatabase<any>({ url: POSTGRES_URL, database, poolSize: 2 });
});
afterAll(async () => {
  await db?.destroy();
  await run.cleanup();
});

const tables = async () =>
  (await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(db)).rows
    .map((r) => r.table_name)
    .filter((name) => !name.startsWith('kysely_'))
    .sort();

describe('migrations', () => {
  it('bring an empty database up to the users and event tables, once', async () => {
    expect(await tables()).toEqual([]);
    expect(await migrateToLatest(db, migrations)).toEqual(Object.keys(migrations));
    expect(await tables()).toEqual(['inbox', 'outbox', 'users']);
    expect(await migrateToLatest(db, migrations)).toEqual([]);
  });

  it('store emails only in normalised form, unique', async () => {
    const values = { name: 'N', password_hash: 'x' };
    await expect(
      db
        .insertInto('users')
        .values({ ...values, email: 'Upper@Example.com' })
        .execute(),
    ).rejects.toMatchObject({ code: '23514' });
    await db
      .insertInto('users')
      .values({ ...values, email: 'lower@example.com' })
      .execute();
    await expect(
      db
        .insertInto('users')
        .values({ ...values, email: 'lower@example.com' })
        .execute(),
    ).rejects.toMatchObject({ code: '23505' });
    const [row] = await db.selectFrom('users').selectAll().execute();
    expect(row).toMatchObject({ role: 'CUSTOMER', email: 'lower@example.com' });
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('go back down to an empty database', async () => {
    const provider: MigrationProvider = { getMigrations: async (): Promise<Record<string, Migration>> => migrations };
    const { error } = await new Migrator({ db, provider }).migrateTo(NO_MIGRATIONS);
    expect(error).toBeUndefined();
    expect(await tables()).toEqual([]);
  });
});
