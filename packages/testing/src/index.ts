import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { Connection } from 'rabbitmq-client';
import { CONSUMERS, type ConsumerName } from '@shop/contracts';
import { cacheGenerationKey, deadLetterExchange, deadLetterQueueName, queueName, signRequest, type Identity, type TopologyNames } from '@shop/runtime';
import { dropDatabase } from '@shop/runtime/subgraph';

/**
 * Test isolation: every test run gets its own database names, Redis key prefix and RabbitMQ
 * exchange/queue names, and removes them afterwards.
 */
import { POSTGRES_URL, RABBITMQ_URL, REDIS_URL, TEST_SIGNING_SECRET } from './services';

export * from './services';
export * from './network';

export interface TestRun {
  id: string;
  redisPrefix: string;
  topology: TopologyNames;
  databases: string[];
  /** Env for a subgraph in this run: its own database, shared prefix/exchange. */
  env(subgraph: string, overrides?: Record<string, string>): Record<string, string>;
  cleanup(): Promise<void>;
}

export function createTestRun(): TestRun {
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const run: TestRun = {
    id,
    redisPrefix: `test:${id}:`,
    topology: { exchange: `test.${id}.events`, queuePrefix: `test.${id}` },
    databases: [],
    env(subgraph, overrides = {}) {
      const database = `t_${id}_${subgraph}`;
      if (!run.databases.includes(database)) run.databases.push(database);
      return {
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        PORT: '0',
        POSTGRES_URL,
        POSTGRES_DB: database,
        REDIS_URL,
        REDIS_KEY_PREFIX: run.redisPrefix,
        RABBITMQ_URL,
        RABBITMQ_EXCHANGE: run.topology.exchange,
        RABBITMQ_QUEUE_PREFIX: run.topology.queuePrefix,
        RABBITMQ_RETRY_BASE_MS: '20',
        RABBITMQ_MAX_DELIVERY_ATTEMPTS: '3',
        OUTBOX_POLL_MS: '50',
        ROUTER_SIGNING_SECRETS: TEST_SIGNING_SECRET,
        // stop() closes at once; a test of the drain sets its own.
        SHUTDOWN_DRAIN_SECONDS: '0',
        ...overrides,
      };
    },
    async cleanup() {
      await Promise.all(run.databases.map((db) => dropDatabase(POSTGRES_URL, db).catch(() => undefined)));
      await deleteRedisKeys(run.redisPrefix);
      await deleteTopology(run.topology);
    },
  };
  return run;
}

/**
 * Empties the caches of running subgraphs (Redis and their in-process layers) the way an
 * operator would: a new cache generation for each. The processes notice within a second.
 */
export async function bumpCacheGenerations(redisPrefix: string, subgraphs: readonly string[]): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const name of subgraphs) await redis.incr(`${redisPrefix}${cacheGenerationKey(name)}`);
  } finally {
    redis.disconnect();
  }
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis may be the thing a test stopped; nothing to clean then.
  } finally {
    redis.disconnect();
  }
}

export async function deleteTopology(names: TopologyNames): Promise<void> {
  const rabbit = new Connection({ url: RABBITMQ_URL, retryLow: 100, retryHigh: 500 });
  try {
    await rabbit.onConnect(5_000);
    for (const consumer of Object.keys(CONSUMERS) as ConsumerName[]) {
      await rabbit.queueDelete({ queue: queueName(names, consumer) }).catch(() => undefined);
      await rabbit.queueDelete({ queue: deadLetterQueueName(names, consumer) }).catch(() => undefined);
    }
    await rabbit.exchangeDelete({ exchange: names.exchange }).catch(() => undefined);
    await rabbit.exchangeDelete({ exchange: deadLetterExchange(names) }).catch(() => undefined);
  } catch {
    // broker down: nothing to clean
  } finally {
    await rabbit.close();
  }
}

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

const serviceNames = new Map<string, Promise<string>>();

/** A subgraph's name (the audience of its signatures), from its /health/live. */
export function serviceName(graphqlUrl: string): Promise<string> {
  let name = serviceNames.get(graphqlUrl);
  if (!name) {
    name = fetch(graphqlUrl.replace(/\/graphql$/, '/health/live'))
      .then((res) => res.json() as Promise<{ service: string }>)
      .then((health) => health.service);
    serviceNames.set(graphqlUrl, name);
  }
  return name;
}

/** Posts an operation to a subgraph with the router's proof, as the router would. */
export async function subgraphRequest<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  identity: Identity | null = null,
  secret = TEST_SIGNING_SECRET,
): Promise<GraphQLResponse<T>> {
  const body = JSON.stringify({ query, variables });
  const audience = await serviceName(url);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(secret, { audience, identity, body }) },
    body,
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

/** Posts an operation to the router, as a client would. */
export async function routerRequest<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

/**
 * The sum of a metric's samples on a service's /metrics (any of its URLs: the origin is what
 * counts) whose labels include all of `labels`; 0 when none match. `name` is matched whole, so
 * a histogram's `_count` or `_sum` is asked for by that name.
 */
export async function metricTotal(serviceUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(new URL('/metrics', serviceUrl))).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sample = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => sample.get(key) === value)) total += Number(match[3]);
  }
  return total;
}

/** Polls until the check passes (eventual consistency), failing with the last error. */
export async function eventually<T>(check: () => Promise<T>, { timeoutMs = 10_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Starts a built service (dist/index.js) as a child process and waits for /health/live. */
export async function startProcess(script: string, env: Record<string, string>, healthUrl: string, timeoutMs = 30_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(healthUrl);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not become live within ${timeoutMs} ms:\n${output}`);
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
export * from './events';
