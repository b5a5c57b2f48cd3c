import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestRun, freePort, routerRequest, startProcess, stopProcess, type GraphQLResponse } from '@shop/testing';

const ROOT = resolve(__dirname, '../..');
export const SUBGRAPHS = ['product', 'user', 'cart', 'order'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/**
 * The whole supergraph as five real processes (built dist/index.js), on free ports, with this
 * run's own databases, Redis prefix and RabbitMQ names.
 */
export interface Stack {
  routerUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** This stack's Redis key prefix (every cache key starts with it). */
  redisPrefix: string;
  /** Total SQL statements a subgraph has run, from its /metrics. */
  sqlStatements(name: SubgraphName): Promise<number>;
  /** The database a subgraph of this stack owns, for seeding and direct checks. */
  database(name: SubgraphName): string;
  query<T = any>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  stopSubgraph(name: SubgraphName): Promise<void>;
  startSubgraph(name: SubgraphName): Promise<void>;
  /** Another router process over the same subgraphs (another replica, or another config); stopped with the stack. */
  startRouter(env?: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

export async function startStack(overrides: Partial<Record<SubgraphName | 'router', Record<string, string>>> = {}): Promise<Stack> {
  const run = createTestRun();
  const secretsDir = mkdtempSync(join(tmpdir(), 'shop-e2e-secrets-'));
  const ports = { product: await freePort(), user: await freePort(), cart: await freePort(), order: await freePort(), router: await freePort() };
  const base = (port: number) => `http://127.0.0.1:${port}`;
  const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((name) => [name, `${base(ports[name])}/graphql`])) as Record<SubgraphName, string>;
  const children = new Map<string, ChildProcess>();

  const envFor = (name: SubgraphName) =>
    run.env(name, {
      PORT: String(ports[name]),
      SECRETS_DIR: secretsDir,
      AUTH_SCRYPT_COST: '1024',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...overrides[name],
    });

  const startSubgraph = async (name: SubgraphName) => {
    children.set(name, await startProcess(join(ROOT, `subgraphs/${name}/dist/index.js`), envFor(name), `${base(ports[name])}/health/live`));
  };
  const stopSubgraph = async (name: SubgraphName) => {
    await stopProcess(children.get(name));
    children.delete(name);
  };

  const launchRouter = (port: number, env: Record<string, string> = {}) =>
    startProcess(
      join(ROOT, 'router/dist/index.js'),
      {
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        PORT: String(port),
        SHUTDOWN_DRAIN_SECONDS: '0',
        SECRETS_DIR: secretsDir,
        ROUTER_SIGNING_SECRETS: run.env('router').ROUTER_SIGNING_SECRETS!,
        ROUTER_SUBGRAPH_PRODUCT_URL: subgraphUrls.product,
        ROUTER_SUBGRAPH_USER_URL: subgraphUrls.user,
        ROUTER_SUBGRAPH_CART_URL: subgraphUrls.cart,
        ROUTER_SUBGRAPH_ORDER_URL: subgraphUrls.order,
        AUTH_JWKS_URL: `${base(ports.user)}/.well-known/jwks.json`,
        REDIS_KEY_PREFIX: run.redisPrefix,
        ...env,
      },
      `${base(port)}/health/live`,
    );

  try {
    // The user subgraph first: it writes the shared development keys the others read.
    await startSubgraph('user');
    await Promise.all((['product', 'cart', 'order'] as const).map(startSubgraph));
    children.set('router', await launchRouter(ports.router, overrides.router));
  } catch (error) {
    await Promise.all([...children.values()].map(stopProcess));
    await run.cleanup();
    throw error;
  }

  const routerUrl = `${base(ports.router)}/graphql`;
  return {
    routerUrl,
    subgraphUrls,
    database: (name) => run.env(name).POSTGRES_DB!,
    redisPrefix: run.redisPrefix,
    async sqlStatements(name) {
      const text = await (await fetch(subgraphUrls[name].replace(/\/graphql$/, '/metrics'))).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('sql_statements_total{'))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    },
    query: (query, variables, token, headers) => routerRequest(routerUrl, query, variables, token, headers),
    stopSubgraph,
    startSubgraph,
    async startRouter(env = {}) {
      const port = await freePort();
      const name = `router:${port}`;
      children.set(name, await launchRouter(port, env));
      return {
        url: `${base(port)}/graphql`,
        stop: async () => {
          await stopProcess(children.get(name));
          children.delete(name);
        },
      };
    },
    async stop() {
      await Promise.all([...children.values()].map(stopProcess));
      // run.env registered the router's database name too; dropping a missing one is a no-op.
      await run.cleanup();
      rmSync(secretsDir, { recursive: true, force: true });
    },
  };
}

export const LOG_IN = `mutation($email: String!, $password: String!) {
  logIn(input: { email: $email, password: $password }) { accessToken refreshToken expiresAt user { id name role } }
}`;

export const SIGN_UP = `mutation($email: String!, $password: String!, $name: String!) {
  signUp(input: { email: $email, password: $password, name: $name }) { accessToken refreshToken expiresAt user { id email name role } }
}`;
