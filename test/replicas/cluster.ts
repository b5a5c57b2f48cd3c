import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Migration } from 'kysely';
import { createCartApp, migrations as cartMigrations, parseConfig as parseCartConfig } from '@shop/cart-subgraph';
import { createOrderApp, migrations as orderMigrations, parseConfig as parseOrderConfig } from '@shop/order-subgraph';
import { createProductApp, migrations as productMigrations, parseConfig as parseProductConfig } from '@shop/product-subgraph';
import { createRouterApp, parseConfig as parseRouterConfig, type RouterApp } from '@shop/router';
import type { SubgraphDeps } from '@shop/runtime/subgraph';
import { createTestRun, REDIS_URL, TEST_SIGNING_SECRET, type TestRun } from '@shop/testing';
import { createUserApp, migrations as userMigrations, parseConfig as parseUserConfig } from '@shop/user-subgraph';
import { SUBGRAPHS, type SubgraphName } from '../e2e/stack';

export { SUBGRAPHS, type SubgraphName };

/** One running app of a subgraph, in this process: its own connections, metrics, memory and relay. */
export interface Replica {
  name: SubgraphName;
  /** The replica's /graphql (own free port). */
  url: string;
  deps: SubgraphDeps<any>;
  stop(): Promise<void>;
}

export const MIGRATIONS: Record<SubgraphName, Record<string, Migration>> = {
  product: productMigrations,
  user: userMigrations,
  cart: cartMigrations,
  order: orderMigrations,
};

type Factory = (env: Record<string, string>) => Promise<{ url: string; deps: SubgraphDeps<any>; stop(): Promise<void> }>;

const FACTORIES: Record<SubgraphName, Factory> = {
  product: (env) => createProductApp(parseProductConfig(env)),
  user: (env) => createUserApp(parseUserConfig(env)),
  cart: (env) => createCartApp(parseCartConfig(env)),
  order: (env) => createOrderApp(parseOrderConfig(env)),
};

/**
 * Replicas of the subgraphs and routers, in this process, through the packages' own
 * factories. Every replica of a subgraph gets the same env (database, Redis prefix, RabbitMQ
 * exchange and queues, secrets); only the port differs (PORT 0: each takes a free one). The
 * apps share nothing in memory but module code: each opens its own Postgres pool, Redis and
 * RabbitMQ connections, metrics registry, in-process cache layer and outbox relay, as a
 * process would.
 */
export interface Cluster {
  run: TestRun;
  /** The env every replica of `name` starts with. */
  env(name: SubgraphName): Record<string, string>;
  /** Starts `count` replicas of a subgraph at the same time. */
  start(name: SubgraphName, count?: number): Promise<Replica[]>;
  /** A router over the given subgraph replicas (one per subgraph), on this run's Redis prefix. */
  startRouter(replicas: Partial<Record<SubgraphName, Replica>>, env?: Record<string, string>): Promise<RouterApp>;
  /** Stops every router and replica, then drops this run's databases, keys and topology. */
  stop(): Promise<void>;
}

export function createCluster(overrides: Partial<Record<SubgraphName, Record<string, string>>> = {}): Cluster {
  const run = createTestRun();
  // The user replicas share their development JWT signing key (written here by the first).
  const secretsDir = mkdtempSync(join(tmpdir(), 'shop-replicas-secrets-'));
  const replicaStops: Array<() => Promise<void>> = [];
  const routerStops: Array<() => Promise<void>> = [];
  const env = (name: SubgraphName) =>
    run.env(name, {
      SECRETS_DIR: secretsDir,
      AUTH_SCRYPT_COST: '1024',
      // Several replicas of every subgraph share one Postgres in these tests: keep pools small.
      POSTGRES_POOL_SIZE: '5',
      ...overrides[name],
    });

  return {
    run,
    env,
    async start(name, count = 1) {
      const started = await Promise.allSettled(Array.from({ length: count }, () => FACTORIES[name](env(name))));
      const replicas: Replica[] = [];
      for (const result of started) {
        if (result.status === 'fulfilled') {
          replicaStops.push(() => result.value.stop());
          replicas.push({ name, url: result.value.url, deps: result.value.deps, stop: () => result.value.stop() });
        }
      }
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      return replicas;
    },
    async startRouter(replicas, routerEnv = {}) {
      const url = (name: SubgraphName) => replicas[name]?.url ?? 'http://127.0.0.1:9/graphql';
      const router = await createRouterApp(
        parseRouterConfig({
          NODE_ENV: 'test',
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
          PORT: '0',
          REDIS_URL,
          REDIS_KEY_PREFIX: run.redisPrefix,
          ROUTER_SIGNING_SECRETS: TEST_SIGNING_SECRET,
          ROUTER_SUBGRAPH_PRODUCT_URL: url('product'),
          ROUTER_SUBGRAPH_USER_URL: url('user'),
          ROUTER_SUBGRAPH_CART_URL: url('cart'),
          ROUTER_SUBGRAPH_ORDER_URL: url('order'),
          AUTH_JWKS_URL: url('user').replace(/\/graphql$/, '/.well-known/jwks.json'),
          ...routerEnv,
        }),
      );
      routerStops.push(() => router.stop());
      return router;
    },
    async stop() {
      await Promise.allSettled(routerStops.map((stop) => stop()));
      await Promise.allSettled(replicaStops.map((stop) => stop()));
      await run.cleanup();
      rmSync(secretsDir, { recursive: true, force: true });
    },
  };
}
