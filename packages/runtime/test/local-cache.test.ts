import { createServer, type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, eventually, REDIS_URL } from '@shop/testing';
import { CacheGeneration, cacheGenerationKey, cacheInvalidationChannel, createLogger, createRedis, InvalidationChannel, waitForRedis } from '../src';
import { EntityCache } from '../src/subgraph';

/**
 * The in-process layer of shared entities on the real Redis: two replicas of one subgraph,
 * each with its own connections, memory and subscription, as two processes would have.
 */
const run = createTestRun();
const log = createLogger('local-cache-test', 'silent');
const SUBGRAPH = 'catalog';
const CHANNEL = cacheInvalidationChannel(run.redisPrefix, SUBGRAPH);

interface Thing {
  name: string;
}

interface Replica {
  redis: Redis;
  generation: CacheGeneration;
  channel: InvalidationChannel;
  things: EntityCache<Thing>;
}

const replicas: Replica[] = [];
let admin: Redis;

async function replica(ttlMs = 60_000, entityType?: string): Promise<Replica> {
  const redis = createRedis({ url: REDIS_URL, keyPrefix: run.redisPrefix, commandTimeoutMs: 500, log });
  const generation = new CacheGeneration({ redis, subgraph: SUBGRAPH, log, refreshMs: 100 });
  const channel = new InvalidationChannel(redis, CHANNEL, log);
  const things = new EntityCache<Thing>(redis, {
    subgraph: SUBGRAPH,
    entity: 'thing',
    schemaVersion: 1,
    ttlSeconds: 60,
    generation,
    log,
    entityType,
    local: { ttlMs, maxEntries: 100, channel },
  });
  const created = { redis, generation, channel, things };
  replicas.push(created);
  await eventually(async () => {
    await generation.sync();
    expect(generation.current()).not.toBeNull();
    expect(channel.live).toBe(true);
  });
  // Memory takes only reads that began after the subscription went live (same millisecond excluded).
  await new Promise((resolve) => setTimeout(resolve, 5));
  return created;
}

/** Deletes the Redis copy behind the cache's back: whatever is still served comes from memory. */
async function deleteFromRedis(id: string) {
  const keys = await admin.keys(`${run.redisPrefix}${SUBGRAPH}:thing:*:${id}`);
  if (keys.length) await admin.del(...keys);
}

/** Redis client ids of this run's subscriptions (their connections are named after the channel). */
async function subscriberIds(): Promise<string[]> {
  const list = (await admin.client('LIST', 'TYPE', 'pubsub')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(`name=${CHANNEL} `))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

const names = async (r: Replica, ids: string[]) => Object.fromEntries([...(await r.things.getMany(ids))].map(([id, thing]) => [id, thing.name]));

beforeAll(() => {
  admin = new Redis(REDIS_URL);
});

afterAll(async () => {
  for (const r of replicas) {
    r.generation.stop();
    r.channel.stop();
    r.redis.disconnect();
  }
  admin.disconnect();
  await run.cleanup();
});

describe('in-process layer of shared entities', () => {
  it('serves what it has read from memory, without asking Redis', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.things.setMany([['1', { name: 'one' }]]);
    expect(await names(b, ['1'])).toEqual({ '1': 'one' }); // from Redis, and now in b's memory too
    await deleteFromRedis('1');
    expect(await names(a, ['1'])).toEqual({ '1': 'one' });
    expect(await names(b, ['1'])).toEqual({ '1': 'one' });
    const c = await replica();
    expect(await names(c, ['1'])).toEqual({});
  });

  it('drops an invalidated entry at once here and, through the channel, on the other replica', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.things.setMany([['2', { name: 'two' }]]);
    expect(await names(b, ['2'])).toEqual({ '2': 'two' });
    await a.things.invalidate(['2']);
    expect(await names(a, ['2'])).toEqual({});
    await eventually(async () => expect(await names(b, ['2'])).toEqual({}));
  });

  it('lets an entry live in memory no longer than its local lifetime', async () => {
    const a = await replica(200);
    await a.things.setMany([['3', { name: 'three' }]]);
    await deleteFromRedis('3');
    expect(await names(a, ['3'])).toEqual({ '3': 'three' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await names(a, ['3'])).toEqual({});
  });

  it('empties memory and stops using it while the channel is down, then resumes', async () => {
    const a = await replica();
    await a.things.setMany([['4', { name: 'four' }]]);
    await deleteFromRedis('4');
    expect(await names(a, ['4'])).toEqual({ '4': 'four' });

    // Cut every subscription of this run's replicas (named after the channel), a's among them.
    const ids = await subscriberIds();
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    // Whatever memory held is gone: it could have missed an invalidation while unsubscribed.
    await eventually(async () => expect(await names(a, ['4'])).toEqual({}));
    await eventually(async () => expect(a.channel.live).toBe(true));
    expect(await names(a, ['4'])).toEqual({}); // live again, and the old entry is not back
    await new Promise((resolve) => setTimeout(resolve, 5));

    await a.things.setMany([['5', { name: 'five' }]]);
    await deleteFromRedis('5');
    expect(await names(a, ['5'])).toEqual({ '5': 'five' });
  });

  it('keeps out of memory what was read while the channel was down', async () => {
    const a = await replica();
    await a.things.setMany([['8', { name: 'eight' }]]);
    const readStartedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const id of await subscriberIds()) await admin.client('KILL', 'ID', id);
    await eventually(async () => expect(a.channel.live).toBe(true));
    // A database read that began before the outage and ends after it: not kept in memory.
    await a.things.setMany([['9', { name: 'nine' }]], readStartedAt);
    await deleteFromRedis('9');
    expect(await names(a, ['9'])).toEqual({});
  });

  it('names the federated type in its invalidations, for caches outside the subgraph (the router’s)', async () => {
    const a = await replica(60_000, 'Thing');
    const heard: Array<[string, string[]]> = [];
    let dropped = 0;
    a.channel.listenForTypes(
      (type, ids) => heard.push([type, ids]),
      () => dropped++,
    );
    await a.things.invalidate(['11', '12']);
    await eventually(async () => expect(heard).toContainEqual(['Thing', ['11', '12']]));
    // Invalidations of caches that are not a federated type's entities stay among the replicas.
    const untyped = await replica();
    await untyped.things.invalidate(['13']);
    await a.things.invalidate(['14']);
    await eventually(async () => expect(heard).toContainEqual(['Thing', ['14']]));
    // (Each invalidation is sent again a second later; the same ids, the same type.)
    expect(heard.every(([type, ids]) => type === 'Thing' && !ids.includes('13'))).toBe(true);
    expect(dropped).toBe(0);
  });

  it('ignores malformed invalidation messages', async () => {
    const a = await replica();
    await a.things.setMany([['10', { name: 'ten' }]]);
    for (const text of ['null', '42', '"x"', '{"entity":"thing"}', '{"ids":["10"]}', 'not json']) await admin.publish(CHANNEL, text);
    await admin.publish(CHANNEL, JSON.stringify({ entity: 'thing', ids: ['10'] }));
    await deleteFromRedis('10');
    await eventually(async () => expect(await names(a, ['10'])).toEqual({}));
  });

  it('forgets everything held for an older generation', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.things.setMany([['6', { name: 'six' }]]);
    expect(await names(b, ['6'])).toEqual({ '6': 'six' });
    await a.generation.bump();
    expect(await names(a, ['6'])).toEqual({});
    await eventually(async () => expect(await names(b, ['6'])).toEqual({}));
  });

  it('gives a read-only generation (the router’s) only one the subgraph made: unknown until then', async () => {
    const redis = createRedis({ url: REDIS_URL, keyPrefix: run.redisPrefix, commandTimeoutMs: 500, log });
    const follower = new CacheGeneration({ redis, subgraph: 'not-started-yet', log, refreshMs: 100, readOnly: true });
    try {
      // Connected first: unknown must mean "not made yet", not "the connection was still opening".
      expect(await waitForRedis(redis, 5_000)).toBe(true);
      await follower.sync();
      expect(follower.current()).toBeNull();
      expect(await admin.exists(`${run.redisPrefix}${cacheGenerationKey('not-started-yet')}`)).toBe(0);
      const owner = new CacheGeneration({ redis, subgraph: 'not-started-yet', log, refreshMs: 100 });
      await owner.sync();
      owner.stop();
      await eventually(async () => expect(follower.current()).toBe(owner.current()));
    } finally {
      follower.stop();
      redis.disconnect();
    }
  });

  it('shares frozen entries between requests, so none can change what another reads', async () => {
    const a = await replica();
    await a.things.setMany([['7', { name: 'seven' }]]);
    const first = (await a.things.getMany(['7'])).get('7')!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { name: string }).name = 'changed';
    }).toThrow(TypeError);
  });
});

describe('waiting for Redis at start-up', () => {
  it('resolves once connected, so a read right after it succeeds', async () => {
    const redis = createRedis({ url: REDIS_URL, keyPrefix: run.redisPrefix, commandTimeoutMs: 500, log });
    try {
      expect(redis.status).not.toBe('ready');
      expect(await waitForRedis(redis, 5_000)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
      expect(await waitForRedis(redis, 5_000)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('gives up after the timeout when nothing answers, without throwing', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const redis = createRedis({ url: `redis://127.0.0.1:${closedPort}`, keyPrefix: run.redisPrefix, commandTimeoutMs: 500, log });
    try {
      expect(await waitForRedis(redis, 300)).toBe(false);
      expect(redis.status).not.toBe('ready');
    } finally {
      redis.disconnect();
    }
  });
});
