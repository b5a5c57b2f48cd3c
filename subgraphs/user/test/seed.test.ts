import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, subgraphRequest } from '@shop/testing';
import type { UserApp } from '../src/app';
import { benchUserEmail, countUsers, findUserIdsByEmails, seedDemoAccounts, seedUsers } from '../src/seed';
import { LOG_IN, startUserApp } from './helpers';

const run = createTestRun();
let app: UserApp;

beforeAll(async () => {
  app = await startUserApp(run);
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

const logIn = (email: string, password: string) => subgraphRequest(app.url, LOG_IN, { input: { email, password } });

describe('seed', () => {
  it('refuses to create demo accounts in production', async () => {
    await expect(seedDemoAccounts(app.deps.db, { nodeEnv: 'production', scryptCost: 1024 })).rejects.toThrow('refusing to create demo accounts in production');
    expect(await countUsers(app.deps.db)).toBe(0);
  });

  it('creates the demo admin and customer once; they can log in with their roles', async () => {
    const first = await seedDemoAccounts(app.deps.db, { nodeEnv: 'development', scryptCost: 1024 });
    const second = await seedDemoAccounts(app.deps.db, { nodeEnv: 'development', scryptCost: 1024 });
    expect(first.map((a) => [a.email, a.role, a.created])).toEqual([
      ['admin@example.com', 'ADMIN', true],
      ['customer@example.com', 'CUSTOMER', true],
    ]);
    expect(second.map((a) => [a.id, a.created])).toEqual(first.map((a) => [a.id, false]));
    expect(await countUsers(app.deps.db)).toBe(2);

    const admin = await logIn('admin@example.com', 'admin-password');
    expect(admin.data.logIn.user).toMatchObject({ role: 'ADMIN' });
    const customer = await logIn('customer@example.com', 'customer-password');
    expect(customer.data.logIn.user).toMatchObject({ role: 'CUSTOMER', name: 'Casey Customer' });

    const events = await app.deps.db.selectFrom('outbox').select('aggregate_id').where('type', '=', 'user.registered').execute();
    expect(events.map((e) => e.aggregate_id).sort()).toEqual(first.map((a) => a.id).sort());
  });

  it('creates bench users in batches, idempotently, who log in with the bench password', async () => {
    const before = await countUsers(app.deps.db);
    const progress: number[] = [];
    const ids = await seedUsers(app.deps.db, { count: 5, batchSize: 2, scryptCost: 1024, onProgress: (done) => progress.push(done) });
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(progress).toEqual([2, 4, 5]);
    expect(await seedUsers(app.deps.db, { count: 5, scryptCost: 1024 })).toEqual(ids);
    expect(await countUsers(app.deps.db)).toBe(before + 5);

    const byEmail = await findUserIdsByEmails(app.deps.db, [benchUserEmail(3).toUpperCase(), 'nobody@example.com']);
    expect([...byEmail]).toEqual([[benchUserEmail(3), ids[2]]]);
    const res = await logIn(benchUserEmail(3), 'bench-password');
    expect(res.data.logIn.user.id).toBe(ids[2]);
  });
});
