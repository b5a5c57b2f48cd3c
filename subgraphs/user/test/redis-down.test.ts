import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, freePort, subgraphRequest, type GraphQLResponse } from '@shop/testing';
import type { UserApp } from '../src/app';
import { LOG_IN, LOG_OUT, REFRESH, SIGN_UP, startUserApp, uniqueEmail } from './helpers';

// Two replicas on one database: one with Redis, one whose Redis is unreachable.
const run = createTestRun();
let healthy: UserApp;
let cutOff: UserApp;
const PASSWORD = 'correct-horse-battery';

beforeAll(async () => {
  healthy = await startUserApp(run);
  cutOff = await startUserApp(run, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
});
afterAll(async () => {
  await cutOff?.stop();
  await healthy?.stop();
  await run.cleanup();
});

const codes = (res: GraphQLResponse) => res.errors?.map((e) => e.extensions?.code);

describe('with Redis unreachable', () => {
  it('logIn, refreshSession and logOut answer SERVICE_UNAVAILABLE', async () => {
    const email = uniqueEmail('down');
    const signedUp = await subgraphRequest(healthy.url, SIGN_UP, { input: { email, password: PASSWORD, name: 'Down' } });
    expect(signedUp.errors).toBeUndefined();
    const { refreshToken } = signedUp.data.signUp;

    for (const res of [
      await subgraphRequest(cutOff.url, LOG_IN, { input: { email, password: PASSWORD } }),
      await subgraphRequest(cutOff.url, REFRESH, { token: refreshToken }),
      await subgraphRequest(cutOff.url, LOG_OUT, { token: refreshToken }),
    ]) {
      expect(res.data).toBeNull();
      expect(codes(res)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    // The session survived the failed attempts.
    expect((await subgraphRequest(healthy.url, REFRESH, { token: refreshToken })).errors).toBeUndefined();
  });

  it('signUp answers SERVICE_UNAVAILABLE and leaves no account and no event behind', async () => {
    const email = uniqueEmail('no-account');
    const failed = await subgraphRequest(cutOff.url, SIGN_UP, { input: { email, password: PASSWORD, name: 'Nobody Yet' } });
    expect(failed.data).toBeNull();
    expect(codes(failed)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await healthy.deps.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);

    const retried = await subgraphRequest(healthy.url, SIGN_UP, { input: { email, password: PASSWORD, name: 'Nobody Yet' } });
    expect(retried.errors).toBeUndefined();
    const events = await healthy.deps.db
      .selectFrom('outbox')
      .select('aggregate_id')
      .where('type', '=', 'user.registered')
      .where(sql<string>`payload->>'email'`, '=', email)
      .execute();
    expect(events).toEqual([{ aggregate_id: retried.data.signUp.user.id }]);
  });

  it('still answers me, which needs no session', async () => {
    const email = uniqueEmail('me');
    const { data } = await subgraphRequest(healthy.url, SIGN_UP, { input: { email, password: PASSWORD, name: 'Still Here' } });
    const me = await subgraphRequest(cutOff.url, '{ me { name } }', {}, { userId: data.signUp.user.id, role: 'CUSTOMER' });
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: { name: 'Still Here' } });
  });
});
