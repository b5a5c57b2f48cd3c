import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, POSTGRES_URL } from '@shop/testing';
import { childTrace, newRequestScope } from '../src';
import { createDatabase, dropDatabase, ensureDatabase, requestDatabase } from '../src/subgraph';

const database = `t_db_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const opened: Array<{ destroy(): Promise<void> }> = [];

afterAll(async () => {
  for (const db of opened) await db.destroy().catch(() => undefined);
  await dropDatabase(POSTGRES_URL, database);
});

describe('database handles', () => {
  it('survives the server closing an idle pooled connection: reported, then a fresh one is used', async () => {
    await ensureDatabase(POSTGRES_URL, database);
    const errors: Error[] = [];
    const db = createDatabase<any>({ url: POSTGRES_URL, database, poolSize: 1, onConnectionError: (error) => errors.push(error) });
    const admin = createDatabase<any>({ url: POSTGRES_URL, database: 'postgres', poolSize: 1 });
    opened.push(db, admin);
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
    await sql`select pg_terminate_backend(${pid})`.execute(admin);
    await eventually(async () => expect(errors.map((e) => (e as { code?: string }).code)).toContain('57P01'));
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it('survives the server closing a connection in use between statements: that transaction fails, the next works', async () => {
    await ensureDatabase(POSTGRES_URL, database);
    const errors: Error[] = [];
    const db = createDatabase<any>({ url: POSTGRES_URL, database, poolSize: 1, onConnectionError: (error) => errors.push(error) });
    const admin = createDatabase<any>({ url: POSTGRES_URL, database: 'postgres', poolSize: 1 });
    opened.push(db, admin);
    const failed = db.transaction().execute(async (trx) => {
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      await sql`select pg_terminate_backend(${pid})`.execute(admin);
      await eventually(async () => expect(errors).not.toHaveLength(0));
      await sql`select 1`.execute(trx);
    });
    await expect(failed).rejects.toThrow();
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it("counts a request's statements, transactions included, only on that request's handle", async () => {
    const db = createDatabase<any>({ url: POSTGRES_URL, database, poolSize: 2 });
    opened.push(db);
    const scope = newRequestScope(childTrace(null));
    const mine = requestDatabase(db, scope);
    await sql`select 1`.execute(mine);
    await mine.transaction().execute(async (trx) => {
      await sql`select 2`.execute(trx);
      await sql`select 3`.execute(trx);
    });
    await sql`select 4`.execute(db); // another handle on the same pool: not this request's
    expect(scope.sqlStatements).toBe(3);
  });
});
