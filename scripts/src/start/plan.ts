import { join } from 'node:path';
import { ConfigError } from '@shop/runtime';
import { parseConfig as parseRouterConfig, ROUTER_NODE_FLAGS } from '@shop/router';
import { UsageError } from '../cli';
import { subgraphConfigs } from '../db/databases';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, serviceEnv, type SubgraphConfig, type SubgraphName } from '../subgraphs';
import type { ServiceSpec } from './supervisor';

export const MAX_REPLICAS = 10;
/** Router replica k listens on 4010 + k; subgraph replica k on its base port + 100·k. */
export const ROUTER_REPLICA_PORT = 4010;
export const SUBGRAPH_REPLICA_PORT_STEP = 100;
/** What the routers behind the load balancer trust to say who the client is (X-Forwarded-For). */
export const TRUSTED_PROXIES = '127.0.0.1/8,::1';

export const START_USAGE = `Usage: npm start [-- --replicas N]

Without flags: one process of each subgraph and one router on :4000.
  --replicas N   N (1 to ${MAX_REPLICAS}) replicas of every subgraph and of the router, with HAProxy
                 on :4000 in front of the routers (also SHOP_REPLICAS=N; the flag wins)
Ports: router k on 4010+k, subgraph k on its own port + 100·k (product 4001, 4101, …).`;

/** `npm start -- --replicas N`, or SHOP_REPLICAS=N; 1 means the plain shop without a load balancer. */
export function parseStartArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { replicas: number } | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  let replicas: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--replicas') {
      replicas = argv[++i];
      if (replicas === undefined) throw new UsageError(`--replicas needs a value (1 to ${MAX_REPLICAS})\n\n${START_USAGE}`);
    } else if (arg.startsWith('--replicas=')) {
      replicas = arg.slice('--replicas='.length);
    } else {
      throw new UsageError(`unknown argument '${arg}'\n\n${START_USAGE}`);
    }
  }
  if (replicas !== undefined) {
    const count = replicaCount(replicas);
    if (count === undefined) throw new UsageError(`--replicas must be a whole number from 1 to ${MAX_REPLICAS} (got '${replicas}')`);
    return { replicas: count };
  }
  if (env.SHOP_REPLICAS === undefined || env.SHOP_REPLICAS === '') return { replicas: 1 };
  const count = replicaCount(env.SHOP_REPLICAS);
  if (count === undefined) throw new ConfigError([`SHOP_REPLICAS must be a whole number from 1 to ${MAX_REPLICAS} (got '${env.SHOP_REPLICAS}')`]);
  return { replicas: count };
}

function replicaCount(text: string): number | undefined {
  return /^[1-9][0-9]*$/.test(text.trim()) && Number(text) <= MAX_REPLICAS ? Number(text) : undefined;
}

export interface ReplicaPorts {
  subgraphs: Record<SubgraphName, number[]>;
  /** The router replicas behind the load balancer; empty with one replica (the router is the front door). */
  routers: number[];
}

/**
 * Each subgraph's `<NAME>_PORT` (default 4001…4004) is replica 0's port, and replica k's is that
 * + 100·k; `ROUTER_REPLICA_PORT` (default 4010) is router replica 0's, and router k's that + k.
 * Either may instead list one port per replica (`PRODUCT_PORT=5001,5002`), as tests do with free ports.
 */
export function replicaPorts(env: NodeJS.ProcessEnv, replicas: number): ReplicaPorts {
  const problems: string[] = [];
  const ports = (variable: string, fallback: number, step: number): number[] => {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') return Array.from({ length: replicas }, (_, k) => fallback + step * k);
    const parts = value.split(',').map((part) => part.trim());
    const numbers = parts.map(Number);
    if (!parts.every((part) => /^[0-9]+$/.test(part)) || numbers.some((port) => port < 1 || port > 65_535)) {
      problems.push(`${variable} must be a port (1 to 65535) or a comma-separated list of ${replicas} (got '${value}')`);
      return [];
    }
    if (numbers.length === 1) return Array.from({ length: replicas }, (_, k) => numbers[0]! + step * k);
    if (numbers.length !== replicas) {
      problems.push(`${variable} lists ${numbers.length} ports for ${replicas} replica(s)`);
      return [];
    }
    return numbers;
  };
  const subgraphs = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, ports(`${name.toUpperCase()}_PORT`, SUBGRAPH_PORTS[name], SUBGRAPH_REPLICA_PORT_STEP)]),
  ) as Record<SubgraphName, number[]>;
  const routers = replicas > 1 ? ports('ROUTER_REPLICA_PORT', ROUTER_REPLICA_PORT, 1) : [];
  if (problems.length) throw new ConfigError(problems);
  return { subgraphs, routers };
}

/** Where a local client reaches a service bound to `host`. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export interface PlannedProcess {
  spec: ServiceSpec;
  port: number;
  /** Its GraphQL endpoint, for the banner. */
  url: string;
}

export interface ShopPlan {
  replicas: number;
  /** The environment the scripts themselves use: SECRETS_DIR resolved, each `<NAME>_PORT` replica 0's. */
  env: NodeJS.ProcessEnv;
  subgraphConfigs: Record<SubgraphName, SubgraphConfig>;
  routerConfig: ReturnType<typeof parseRouterConfig>;
  /** product-0, product-1, user-0, … (or product, user, … with one replica). */
  subgraphs: (PlannedProcess & { subgraph: SubgraphName })[];
  /** router-0, router-1, … (or router, the front door itself, with one replica). */
  routers: PlannedProcess[];
  /** Where clients go: the router, or with replicas the load balancer in front of the routers. */
  frontDoor: { host: string; port: number; url: string; readyUrl: string };
}

/** Every process `npm start` runs, with its name, port and environment; throws ConfigError for bad settings. */
export function planShop(options: { replicas: number; env: NodeJS.ProcessEnv; repoRoot: string }): ShopPlan {
  const { replicas, repoRoot } = options;
  const ports = replicaPorts(options.env, replicas);
  // The services parse a single PORT: give them replica 0's, each replica gets its own below.
  const env: NodeJS.ProcessEnv = { ...options.env };
  for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_PORT`] = String(ports.subgraphs[name][0]);
  const configs = subgraphConfigs(env);
  const routerConfig = parseRouterConfig(serviceEnv('router', env));
  const name = (base: string, k: number) => (replicas > 1 ? `${base}-${k}` : base);

  const subgraphs = SUBGRAPH_NAMES.flatMap((subgraph) => {
    const config = configs[subgraph];
    return ports.subgraphs[subgraph].map((port, k) => {
      const base = `http://${reachableHost(config.HOST)}:${port}`;
      const spec: ServiceSpec = {
        name: name(subgraph, k),
        script: join(repoRoot, 'subgraphs', subgraph, 'dist', 'index.js'),
        env: { ...serviceEnv(subgraph, env), PORT: String(port), POSTGRES_DB: config.POSTGRES_DB },
        readyUrl: `${base}/health/ready`,
      };
      return { spec, port, url: `${base}/graphql`, subgraph };
    });
  });

  const routerHost = reachableHost(routerConfig.HOST);
  const frontDoor = {
    host: routerConfig.HOST,
    port: routerConfig.PORT,
    url: `http://${routerHost === '127.0.0.1' ? 'localhost' : routerHost}:${routerConfig.PORT}/graphql`,
    readyUrl: `http://${routerHost}:${routerConfig.PORT}/health/ready`,
  };
  const routerPorts = replicas > 1 ? ports.routers : [routerConfig.PORT];
  const routers = routerPorts.map((port, k) => {
    const base = `http://${routerHost}:${port}`;
    const spec: ServiceSpec = {
      name: name('router', k),
      script: join(repoRoot, 'router', 'dist', 'index.js'),
      nodeArgs: ROUTER_NODE_FLAGS,
      env: { ...routerEnv(subgraphs, k, replicas, env), ...serviceEnv('router', env), PORT: String(port) },
      readyUrl: `${base}/health/ready`,
    };
    return { spec, port, url: `${base}/graphql` };
  });

  assertDistinctPorts([
    ...(replicas > 1 ? [{ name: 'load balancer', port: frontDoor.port }] : []),
    ...routers.map((r) => ({ name: r.spec.name, port: r.port })),
    ...subgraphs.map((s) => ({ name: s.spec.name, port: s.port })),
  ]);
  return { replicas, env, subgraphConfigs: configs, routerConfig, subgraphs, routers, frontDoor };
}

/**
 * Router k reaches every replica of each subgraph (a comma-separated list with replicas) and
 * takes its JWKS from user replica k (or the only one). Settings the environment already has win.
 */
export function routerEnv(
  subgraphs: Pick<ShopPlan['subgraphs'][number], 'subgraph' | 'url'>[],
  k: number,
  replicas: number,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const own: NodeJS.ProcessEnv = {};
  for (const name of SUBGRAPH_NAMES) {
    own[`ROUTER_SUBGRAPH_${name.toUpperCase()}_URL`] = subgraphs
      .filter((s) => s.subgraph === name)
      .map((s) => s.url)
      .join(',');
  }
  const users = subgraphs.filter((s) => s.subgraph === 'user');
  own.AUTH_JWKS_URL = users[k % users.length]!.url.replace(/\/graphql$/, '/.well-known/jwks.json');
  if (replicas > 1) own.ROUTER_TRUSTED_PROXIES = TRUSTED_PROXIES;
  return Object.fromEntries(Object.entries(own).filter(([key]) => env[key] === undefined));
}

function assertDistinctPorts(processes: { name: string; port: number }[]): void {
  const byPort = new Map<number, string[]>();
  for (const { name, port } of processes) byPort.set(port, [...(byPort.get(port) ?? []), name]);
  const clashes = [...byPort].filter(([, names]) => names.length > 1).map(([port, names]) => `port ${port} is given to ${names.join(' and ')}`);
  if (clashes.length) throw new ConfigError(clashes);
}
