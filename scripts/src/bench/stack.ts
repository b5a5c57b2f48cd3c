import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cacheGenerationKey, createLogger, createRedis, EventBus, topology } from '@shop/runtime';
import { ROUTER_NODE_FLAGS } from '@shop/router';
import { REPO_ROOT } from '../paths';
import { describeExit, Supervisor, type ServiceSpec } from '../start/supervisor';
import { SUBGRAPH_NAMES, type SubgraphName } from '../subgraphs';

export type ServiceName = SubgraphName | 'router';

/** What every stack of one bench run shares: ports, secrets, and the bench's own names. */
export interface BenchSetup {
  ports: Record<ServiceName, number>;
  prefix: string;
  signingSecret: string;
  jwtPrivateKeys: string;
  secretsDir: string;
  /** The environment every service starts from (the caller's, for the Postgres, Redis and RabbitMQ URLs). */
  baseEnv: NodeJS.ProcessEnv;
}

export interface BenchStack {
  cacheEnabled: boolean;
  routerUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** The router's too: its CPU time shows its share of the work. */
  metricsUrls: Record<ServiceName, string>;
  /** Rejects when a service dies while the stack should be running. */
  crashed: Promise<never>;
  stop(): Promise<void>;
}

export const benchDatabase = (prefix: string, name: SubgraphName) => `${prefix}_${name}`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function choosePorts(basePort: number | undefined): Promise<Record<ServiceName, number>> {
  if (basePort !== undefined) {
    return { router: basePort, product: basePort + 1, user: basePort + 2, cart: basePort + 3, order: basePort + 4 };
  }
  const ports = {} as Record<ServiceName, number>;
  for (const name of ['router', ...SUBGRAPH_NAMES] as const) ports[name] = await freePort();
  return ports;
}

/** A fresh ES256 key for this run, as the user subgraph wants it in production. */
export function generateJwtKeys(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return JSON.stringify([{ ...privateKey.export({ format: 'jwk' }), kid: `bench-${randomBytes(6).toString('hex')}` }]);
}

/** Environment of one service: the caller's, with everything that isolates the bench on top. */
export function serviceEnvironment(setup: BenchSetup, name: ServiceName, cacheEnabled: boolean): NodeJS.ProcessEnv {
  const url = (service: SubgraphName) => `http://127.0.0.1:${setup.ports[service]}`;
  const env: NodeJS.ProcessEnv = {
    ...setup.baseEnv,
    // Production: what the numbers are for (no stack traces, no Sandbox); it needs explicit secrets.
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(setup.ports[name]),
    SECRETS_DIR: setup.secretsDir,
    ROUTER_SIGNING_SECRETS: setup.signingSecret,
    // No load balancer in front: a stack stopped between passes need not drain.
    SHUTDOWN_DRAIN_SECONDS: '0',
  };
  if (name === 'router') {
    delete env.POSTGRES_DB;
    Object.assign(env, {
      ROUTER_SUBGRAPH_PRODUCT_URL: `${url('product')}/graphql`,
      ROUTER_SUBGRAPH_USER_URL: `${url('user')}/graphql`,
      ROUTER_SUBGRAPH_CART_URL: `${url('cart')}/graphql`,
      ROUTER_SUBGRAPH_ORDER_URL: `${url('order')}/graphql`,
      AUTH_JWKS_URL: `${url('user')}/.well-known/jwks.json`,
      REDIS_KEY_PREFIX: `${setup.prefix}:`,
      // Off also turns off the router's own cache of product entities.
      CACHE_ENABLED: String(cacheEnabled),
      // The bench's operations are not in the persisted query list: audited (logged once), not refused.
      ROUTER_PERSISTED_QUERIES_MODE: 'audit',
    });
    return env;
  }
  Object.assign(env, {
    POSTGRES_DB: benchDatabase(setup.prefix, name),
    REDIS_KEY_PREFIX: `${setup.prefix}:`,
    RABBITMQ_EXCHANGE: `${setup.prefix}.events`,
    RABBITMQ_QUEUE_PREFIX: setup.prefix,
    CACHE_ENABLED: String(cacheEnabled),
    // The dataset is reused for as long as it matches: its events, applied when it was seeded,
    // must not be pruned under the bench (the event backlog check counts them), nor the pruning
    // run during a measurement.
    EVENTS_RETENTION_HOURS: String(10 * 365 * 24),
  });
  if (name === 'user') {
    env.AUTH_JWT_PRIVATE_KEYS = setup.jwtPrivateKeys;
    // Tokens are taken once and must outlive every pass of every round, however long they run; the refresh
    // sessions each run leaves in Redis go away after a day.
    env.AUTH_ACCESS_TOKEN_TTL_SECONDS = String(24 * 3600);
    env.AUTH_REFRESH_TOKEN_TTL_SECONDS = String(24 * 3600);
  }
  return env;
}

/** The four subgraphs, then the router, each live before the bench goes on. */
export async function startBenchStack(setup: BenchSetup, cacheEnabled: boolean, writeLog: (text: string) => void): Promise<BenchStack> {
  const base = (name: ServiceName) => `http://127.0.0.1:${setup.ports[name]}`;
  let fail: (error: Error) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  crashed.catch(() => undefined);
  const supervisor = new Supervisor({
    cwd: REPO_ROOT,
    write: writeLog,
    pretty: false,
    // No restarts: a process that dies spoils the measurement, so the bench fails instead.
    onFatalExit: (service, exit) => fail(new Error(`${service.spec.name} exited unexpectedly (${describeExit(exit)}); see the services log`)),
  });
  const spec = (name: ServiceName): ServiceSpec => ({
    name,
    script: name === 'router' ? join(REPO_ROOT, 'router', 'dist', 'index.js') : join(REPO_ROOT, 'subgraphs', name, 'dist', 'index.js'),
    nodeArgs: name === 'router' ? ROUTER_NODE_FLAGS : [],
    env: serviceEnvironment(setup, name, cacheEnabled),
    // Listening is enough here: the bench sends a verification request before it measures.
    readyUrl: `${base(name)}/health/live`,
  });
  const stop = () => supervisor.stopAll();
  try {
    const subgraphs = SUBGRAPH_NAMES.map((name) => supervisor.spawn(spec(name)));
    await Promise.all(subgraphs.map((service) => supervisor.waitUntilReady(service)));
    await supervisor.waitUntilReady(supervisor.spawn(spec('router')));
  } catch (error) {
    await stop();
    throw error;
  }
  const perSubgraph = (path: string) => Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${base(name)}${path}`])) as Record<SubgraphName, string>;
  return {
    cacheEnabled,
    routerUrl: `${base('router')}/graphql`,
    subgraphUrls: perSubgraph('/graphql'),
    metricsUrls: { router: `${base('router')}/metrics`, ...perSubgraph('/metrics') },
    crashed,
    stop,
  };
}

async function withRedis<T>(redisUrl: string | undefined, use: (redis: ReturnType<typeof createRedis>) => Promise<T>): Promise<T> {
  const redis = createRedis({
    url: redisUrl ?? 'redis://127.0.0.1:6379',
    keyPrefix: '',
    commandTimeoutMs: 5_000,
    log: createLogger('bench', 'silent'),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      if (redis.status === 'ready') return resolve();
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * Orphans every cached entry of the bench's subgraphs at once (the key generation is part of
 * every cache key). Running subgraphs re-read the generation within a second.
 */
export function bumpCacheGenerations(redisUrl: string | undefined, prefix: string): Promise<void> {
  return withRedis(redisUrl, async (redis) => {
    for (const name of SUBGRAPH_NAMES) await redis.incr(`${prefix}:${cacheGenerationKey(name)}`);
  });
}

/** Every Redis key of the bench (caches, sessions), after its databases were dropped. */
export function deleteBenchKeys(redisUrl: string | undefined, prefix: string): Promise<number> {
  return withRedis(redisUrl, async (redis) => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  });
}

/**
 * Empties the bench's queues after its databases were dropped, so events about the old
 * dataset are not applied to the new one. Returns how many messages were dropped.
 */
export async function purgeBenchQueues(rabbitUrl: string | undefined, prefix: string): Promise<number> {
  const names = { exchange: `${prefix}.events`, queuePrefix: prefix };
  const bus = new EventBus({
    ...names,
    url: rabbitUrl ?? 'amqp://guest:guest@127.0.0.1:5672',
    maxDeliveryAttempts: 1,
    retryBaseMs: 100,
    log: createLogger('bench', 'silent'),
  });
  let purged = 0;
  try {
    await bus.connection.onConnect(5_000, true);
    for (const { queue } of topology(names).queues) {
      // A queue a previous run never declared is simply not there.
      purged += await bus.connection.queuePurge({ queue }).then(
        (ok) => ok.messageCount,
        () => 0,
      );
    }
  } finally {
    await bus.close();
  }
  return purged;
}
