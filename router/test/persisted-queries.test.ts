import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRedis, waitForRedis, type Redis } from '@shop/runtime';
import { createTestRun, eventually, freePort, REDIS_URL, type TestRun } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { RedisApqCache } from '../src/persisted-queries/apq-cache';
import { sha256 } from '../src/persisted-queries/manifest';
import { composeSupergraph, ECHO_SDL, startEchoSubgraph, startRouter, tempDir } from './fixtures';

interface Sent {
  query?: string;
  id?: string;
  variables?: Record<string, unknown>;
}

interface Answer {
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

/** A GraphQL request as Apollo's clients send it: query text, a persisted query id, or both. */
async function send(url: string, { query, id, variables }: Sent, method: 'POST' | 'GET' = 'POST'): Promise<Answer> {
  const extensions = id ? { persistedQuery: { version: 1, sha256Hash: id } } : undefined;
  let response: Response;
  if (method === 'GET') {
    const target = new URL(url);
    if (query) target.searchParams.set('query', query);
    if (variables) target.searchParams.set('variables', JSON.stringify(variables));
    if (extensions) target.searchParams.set('extensions', JSON.stringify(extensions));
    response = await fetch(target, { headers: { 'apollo-require-preflight': 'true' } });
  } else {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables, extensions }) });
  }
  return { status: response.status, ...((await response.json()) as object) };
}

const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code;

const GREETING = 'query Greeting { greeting }';
const WHOAMI = 'query Whoami { whoami { role } }';
const WHOAMI_ID = 'whoami-v1';
const manifest = (operations: Array<{ id: string; name: string; body: string }>) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: operations.map((o) => ({ ...o, type: 'query' })) });

describe('router: persisted queries', () => {
  const files = tempDir();
  const manifests = tempDir();
  let run: TestRun;
  let redis: Redis;
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  const routers: RouterApp[] = [];
  let base: Record<string, string>;

  const start = async (env: Record<string, string>) => {
    const router = await startRouter({ ...base, ...env });
    routers.push(router);
    return router;
  };

  beforeAll(async () => {
    run = createTestRun();
    redis = createRedis({ url: REDIS_URL, keyPrefix: run.redisPrefix, commandTimeoutMs: 1_000, log: createLogger('test', 'silent') });
    subgraph = await startEchoSubgraph();
    writeFileSync(
      join(manifests.dir, 'echo.json'),
      manifest([
        { id: sha256(GREETING), name: 'Greeting', body: GREETING },
        { id: WHOAMI_ID, name: 'Whoami', body: WHOAMI },
      ]),
    );
    base = {
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      REDIS_KEY_PREFIX: run.redisPrefix,
      ROUTER_PERSISTED_QUERIES_MANIFESTS: manifests.dir,
    };
  });

  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    await subgraph?.stop();
    redis?.disconnect();
    await run?.cleanup();
    files.remove();
    manifests.remove();
  });

  describe('the APQ cap', () => {
    it('keeps at most ROUTER_APQ_MAX_ENTRIES registrations, dropping the oldest, and never touches other keys (sessions)', async () => {
      const prefix = `${run.redisPrefix}cap:`;
      const capped = await start({ REDIS_KEY_PREFIX: prefix, ROUTER_APQ_MAX_ENTRIES: '3' });
      const own = createRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000, log: createLogger('test', 'silent') });
      try {
        expect(await waitForRedis(own, 5_000)).toBe(true);
        await own.set('user:session:kept', 'a refresh session', 'EX', 600);
        const queries = Array.from({ length: 5 }, (_, i) => `{ greeting } # registration ${i}`);
        for (const query of queries) {
          expect((await send(capped.url, { id: sha256(query), query })).data).toEqual({ greeting: 'hello' });
          // Distinct registration times, so "oldest" is well defined.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const present = await Promise.all(queries.map(async (query) => (await own.exists(`router:apq:v1:${sha256(query)}`)) === 1));
        expect(present).toEqual([false, false, true, true, true]);
        expect(codeOf(await send(capped.url, { id: sha256(queries[0]!) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
        expect((await send(capped.url, { id: sha256(queries[4]!) })).data).toEqual({ greeting: 'hello' });
        expect(await own.get('user:session:kept')).toBe('a refresh session');
      } finally {
        own.disconnect();
      }
    });

    it('keeps at most ROUTER_APQ_MAX_TOTAL_BYTES of documents in all, dropping the oldest', async () => {
      const prefix = `${run.redisPrefix}bytes:`;
      const own = createRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 1_000, log: createLogger('test', 'silent') });
      const results: string[] = [];
      const cache = new RedisApqCache({
        redis: own,
        ttlSeconds: 600,
        maxBytes: 1_000,
        maxEntries: 100,
        maxTotalBytes: 250,
        log: createLogger('test', 'silent'),
        onResult: (result) => results.push(result),
      });
      try {
        expect(await waitForRedis(own, 5_000)).toBe(true);
        const hashes = ['a', 'b', 'c'].map((c) => c.repeat(64));
        for (const hash of hashes) {
          await cache.set(`apq:${hash}`, 'x'.repeat(100));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(await Promise.all(hashes.map((hash) => cache.get(`apq:${hash}`)))).toEqual([undefined, 'x'.repeat(100), 'x'.repeat(100)]);
        expect(Number(await own.get('router:apq:v1:bytes'))).toBe(200);
        expect(results).toEqual(['stored', 'stored', 'stored', 'evicted', 'miss', 'hit', 'hit']);
      } finally {
        own.disconnect();
      }
    });
  });

  describe('automatic persisted queries (mode off)', () => {
    let replicaA: RouterApp;
    let replicaB: RouterApp;

    beforeAll(async () => {
      [replicaA, replicaB] = await Promise.all([
        start({ ROUTER_APQ_TTL_SECONDS: '600', ROUTER_APQ_MAX_BYTES: '200' }),
        start({ ROUTER_APQ_TTL_SECONDS: '600', ROUTER_APQ_MAX_BYTES: '200' }),
      ]);
    });

    it('registers a query sent with its hash, in Redis with a bounded TTL, and every replica then serves the hash alone', async () => {
      const query = '{ farewell }';
      const id = sha256(query);
      const unknown = await send(replicaA.url, { id });
      expect({ status: unknown.status, code: codeOf(unknown) }).toEqual({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });

      const registered = await send(replicaA.url, { id, query });
      expect(registered.data).toEqual({ farewell: 'goodbye' });
      const ttl = await eventually(async () => {
        const seconds = await redis.ttl(`router:apq:v1:${id}`);
        expect(seconds).toBeGreaterThan(0);
        return seconds;
      });
      expect(ttl).toBeLessThanOrEqual(600);

      expect((await send(replicaB.url, { id })).data).toEqual({ farewell: 'goodbye' });
      expect((await send(replicaA.url, { id }, 'GET')).data).toEqual({ farewell: 'goodbye' });
    });

    it('runs a document over the size limit but does not store it', async () => {
      const query = `{ greeting } # ${'padding '.repeat(30)}`;
      const id = sha256(query);
      expect((await send(replicaA.url, { id, query })).data).toEqual({ greeting: 'hello' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await redis.exists(`router:apq:v1:${id}`)).toBe(0);
      expect(codeOf(await send(replicaB.url, { id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('serves manifest ids without any registration, by POST and by GET', async () => {
      expect((await send(replicaA.url, { id: WHOAMI_ID })).data).toEqual({ whoami: null });
      expect((await send(replicaA.url, { id: WHOAMI_ID }, 'GET')).data).toEqual({ whoami: null });
      expect(await redis.exists(`router:apq:v1:${sha256(WHOAMI)}`)).toBe(0);
      const mismatch = await send(replicaA.url, { id: WHOAMI_ID, query: GREETING });
      expect({ status: mismatch.status, code: codeOf(mismatch) }).toEqual({ status: 400, code: 'BAD_REQUEST' });
    });

    it('checks the limits on a query that arrives as a hash', async () => {
      const strict = await start({ ROUTER_MAX_DEPTH: '2' });
      const query = '{ nested { child { level } } }';
      const id = sha256(query);
      expect((await send(replicaA.url, { id, query })).data).toEqual({ nested: { child: { level: 2 } } });
      await eventually(async () => expect(await redis.exists(`router:apq:v1:${id}`)).toBe(1));
      const before = subgraph.received();
      const refused = await send(strict.url, { id });
      expect({ status: refused.status, code: codeOf(refused) }).toEqual({ status: 400, code: 'QUERY_TOO_DEEP' });
      expect(subgraph.received()).toBe(before);
    });

    it('keeps answering while Redis is down: full text runs, hashes fall back to full text', async () => {
      const offline = await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      const query = '{ greeting farewell }';
      const id = sha256(query);
      expect((await send(offline.url, { query })).data).toEqual({ greeting: 'hello', farewell: 'goodbye' });
      expect(codeOf(await send(offline.url, { id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await send(offline.url, { id, query })).data).toEqual({ greeting: 'hello', farewell: 'goodbye' });
      const ready = await fetch(new URL('/health/ready', offline.url));
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { redis: string }).redis).toMatch(/^down/);
    });
  });

  describe('persisted query lists', () => {
    it('safelist: runs listed operations by id (POST and GET) or identical text, refuses everything else', async () => {
      const router = await start({ ROUTER_PERSISTED_QUERIES_MODE: 'safelist' });
      const before = subgraph.received();
      for (const sent of [
        { query: '{ greeting }' },
        { query: '{ farewell }', id: sha256('{ farewell }') },
        { id: sha256('{ farewell }') },
        { id: 'no-such-id' },
      ]) {
        const refused = await send(router.url, sent);
        expect({ sent, status: refused.status, code: codeOf(refused), data: refused.data }).toEqual({
          sent,
          status: 400,
          code: 'PERSISTED_QUERY_NOT_IN_LIST',
          data: undefined,
        });
      }
      expect(subgraph.received()).toBe(before);

      expect((await send(router.url, { id: sha256(GREETING) })).data).toEqual({ greeting: 'hello' });
      expect((await send(router.url, { id: WHOAMI_ID }, 'GET')).data).toEqual({ whoami: null });
      expect((await send(router.url, { query: GREETING })).data).toEqual({ greeting: 'hello' });
      expect((await send(router.url, { query: GREETING }, 'GET')).data).toEqual({ greeting: 'hello' });
    });

    it('require-id: only ids; query text, even a listed one, gets PERSISTED_QUERY_ID_REQUIRED', async () => {
      const router = await start({ ROUTER_PERSISTED_QUERIES_MODE: 'require-id' });
      for (const query of ['{ greeting }', GREETING]) {
        const refused = await send(router.url, { query });
        expect({ status: refused.status, code: codeOf(refused) }).toEqual({ status: 400, code: 'PERSISTED_QUERY_ID_REQUIRED' });
      }
      expect(codeOf(await send(router.url, { id: 'no-such-id' }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect((await send(router.url, { id: sha256(GREETING) }, 'GET')).data).toEqual({ greeting: 'hello' });
    });

    it('audit: runs unlisted operations and counts them', async () => {
      const router = await start({ ROUTER_PERSISTED_QUERIES_MODE: 'audit' });
      const unlisted = async () => {
        const text = await (await fetch(new URL('/metrics', router.url))).text();
        return Number(/^router_operations_unlisted_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      expect((await send(router.url, { query: '{ farewell }' })).data).toEqual({ farewell: 'goodbye' });
      expect((await send(router.url, { query: '{ farewell }' })).data).toEqual({ farewell: 'goodbye' });
      expect(await unlisted()).toBe(2);
      expect((await send(router.url, { query: GREETING })).data).toEqual({ greeting: 'hello' });
      expect((await send(router.url, { id: WHOAMI_ID })).data).toEqual({ whoami: null });
      expect(await unlisted()).toBe(2);
    });

    it('picks up a new manifest without a restart, and keeps the last good list when one is broken', async () => {
      const dir = tempDir();
      try {
        writeFileSync(join(dir.dir, 'a.json'), manifest([{ id: 'greeting-v1', name: 'Greeting', body: GREETING }]));
        const router = await start({ ROUTER_PERSISTED_QUERIES_MODE: 'safelist', ROUTER_PERSISTED_QUERIES_MANIFESTS: dir.dir });
        expect(codeOf(await send(router.url, { id: 'farewell-v1' }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');

        writeFileSync(join(dir.dir, 'b.json'), manifest([{ id: 'farewell-v1', name: 'Farewell', body: 'query Farewell { farewell }' }]));
        await eventually(async () => expect((await send(router.url, { id: 'farewell-v1' })).data).toEqual({ farewell: 'goodbye' }));

        writeFileSync(join(dir.dir, 'b.json'), '{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [');
        await eventually(async () => {
          const ready = (await (await fetch(new URL('/health/ready', router.url))).json()) as { persistedQueries: { reloadError: string | null } };
          expect(ready.persistedQueries.reloadError).toMatch(/b\.json: not JSON/);
        });
        expect((await send(router.url, { id: 'farewell-v1' })).data).toEqual({ farewell: 'goodbye' });
        expect((await send(router.url, { id: 'greeting-v1' })).data).toEqual({ greeting: 'hello' });
      } finally {
        dir.remove();
      }
    });

    it('does not start with a broken manifest, and names it', async () => {
      const dir = tempDir();
      try {
        const path = dir.file('broken.json', JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }));
        await expect(startRouter({ ...base, ROUTER_PERSISTED_QUERIES_MANIFESTS: path })).rejects.toThrow(
          /broken\.json: not an Apollo persisted query manifest/,
        );
      } finally {
        dir.remove();
      }
    });
  });
});
