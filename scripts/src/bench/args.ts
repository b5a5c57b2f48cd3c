import { UsageError } from '../cli';
import type { DatasetSpec } from '../seed/dataset';
import { MAX_REPLICAS } from '../start/plan';
import { OPERATION_IDS } from './operations';

export interface BenchOptions {
  dataset: DatasetSpec;
  /** Seconds of measured load per run. */
  duration: number;
  /** Seconds of unmeasured load before each run (JIT, pools, caches). */
  warmup: number;
  connections: number;
  /**
   * Pairs of passes (cache on, then off), alternating on, off, on, off…: the machine's speed
   * drifts between passes, so the ratio targets take the median over the rounds.
   */
  rounds: number;
  /** Drop the bench databases and seed again even when they hold the requested dataset. */
  fresh: boolean;
  /** Router on this port and the subgraphs on the next four; free ports when absent. */
  basePort: number | undefined;
  /** Names the bench's databases (<prefix>_product …), Redis keys (<prefix>:) and RabbitMQ names. */
  prefix: string;
  /** Operation ids to run; all when empty. */
  only: string[];
  /** Where the .json and .md results go (relative to the repository root). */
  outDir: string;
  /**
   * Compare the four-subgraph query on one replica with this many of every process behind
   * HAProxy, and time each service's SIGTERM to exit under load; undefined: no comparison.
   */
  replicas: number | undefined;
}

// 32 connections: throughput is compared at saturation. A request through the router makes two
// hops, and on 2 CPUs 10 connections left a fifth of the CPU idle on that path (its req/s then
// measured latency, not capacity) while the one-hop direct path was already saturated.
export const BENCH_DEFAULTS = {
  products: 10_000,
  users: 1_000,
  ordersPerUser: 20,
  cartLines: 3,
  orderLines: 3,
  duration: 10,
  warmup: 2,
  connections: 32,
  rounds: 1,
  prefix: 'bench',
  outDir: 'bench-results',
};

/** Most rounds one bench may run: each round is the whole stack started and loaded twice. */
export const MAX_ROUNDS = 10;

/** The cart "my cart with 50 products" reads: bench-user-1's, topped up to this many lines. */
export const BIG_CART_LINES = 50;

export const BENCH_USAGE = `Usage: npm run bench -- [flags]

Seeds its own databases (kept and reused while they hold the requested dataset), starts the
router and the four subgraphs on free ports, loads them with autocannon, with the Redis cache
on and then off (--rounds times, alternating), and writes bench-results/<time>.json and .md.

Dataset (reused when the bench databases already hold exactly this):
  --products N      products (default ${BENCH_DEFAULTS.products})
  --users N         bench users, each with a cart (default ${BENCH_DEFAULTS.users}); bench-user-1's cart has ${BIG_CART_LINES} lines
  --orders N        orders spread over the users (default ${BENCH_DEFAULTS.ordersPerUser} per user)
  --cart-lines N    lines in each user's cart (default ${BENCH_DEFAULTS.cartLines}, at most 100)
  --order-lines N   lines in each order (default ${BENCH_DEFAULTS.orderLines}, at most 100)
  --fresh           drop the bench databases and seed again
Load:
  --duration S      measured seconds per run (default ${BENCH_DEFAULTS.duration})
  --warmup S        unmeasured seconds before each run (default ${BENCH_DEFAULTS.warmup}; 0 for none)
  --connections C   concurrent connections (default ${BENCH_DEFAULTS.connections})
  --only IDS        comma-separated operations: ${OPERATION_IDS.join(', ')}
  --rounds N        repeat the cache-on and cache-off passes N times, alternating on, off, on, off…
                    (default ${BENCH_DEFAULTS.rounds}, at most ${MAX_ROUNDS}); targets (b) and (c) take the median of each round's ratio
Replicas:
  --replicas N      also run the four-subgraph query on N (2 to ${MAX_REPLICAS}) replicas of every subgraph and router
                    behind HAProxy, beside 1 replica, and time each service's SIGTERM to exit under that load;
                    runs only this unless --only names operations too
Where:
  --port N          router on N, product N+1, user N+2, cart N+3, order N+4 (default: free ports); with --replicas,
                    HAProxy on N, replica 0 of each subgraph on N+1…N+4, the other processes on free ports
  --prefix NAME     databases NAME_<service>, Redis keys NAME:, RabbitMQ NAME.events (default ${BENCH_DEFAULTS.prefix})
  --out DIR         results folder (default ${BENCH_DEFAULTS.outDir})
Exit code 1 when an operation answered with errors or a target failed; 2 for bad flags.`;

type Kind = 'count' | 'seconds' | 'seconds0' | 'rounds' | 'replicas' | 'port' | 'name' | 'list' | 'path' | 'flag';

const FLAGS: Record<string, Kind> = {
  '--products': 'count',
  '--users': 'count',
  '--orders': 'count',
  '--cart-lines': 'count',
  '--order-lines': 'count',
  '--duration': 'seconds',
  '--warmup': 'seconds0',
  '--connections': 'count',
  '--rounds': 'rounds',
  '--replicas': 'replicas',
  '--port': 'port',
  '--prefix': 'name',
  '--only': 'list',
  '--out': 'path',
  '--fresh': 'flag',
};

const MAX_COUNT = 10_000_000;

function parseValue(flag: string, kind: Kind, value: string): number | string | string[] {
  const integer = (min: number, max: number, what: string) => {
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} must be ${what} (got '${value}')`);
    return Number(value);
  };
  switch (kind) {
    case 'count':
      return integer(1, MAX_COUNT, `a positive integer up to ${MAX_COUNT}`);
    case 'seconds':
      return integer(1, 3_600, 'a whole number of seconds, 1..3600');
    case 'seconds0':
      return integer(0, 600, 'a whole number of seconds, 0..600');
    case 'rounds':
      return integer(1, MAX_ROUNDS, `a whole number of rounds, 1..${MAX_ROUNDS}`);
    case 'replicas':
      return integer(2, MAX_REPLICAS, `a whole number of replicas, 2..${MAX_REPLICAS} (1 is what the bench always runs)`);
    case 'port':
      return integer(1, 65_531, 'a port number up to 65531 (it uses five from there)');
    case 'name':
      if (!/^[a-z][a-z0-9_]{0,29}$/.test(value)) throw new UsageError(`${flag} must be lowercase letters, digits or _ (a database name part), got '${value}'`);
      return value;
    case 'list': {
      const ids = value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      const unknown = ids.filter((id) => !(OPERATION_IDS as readonly string[]).includes(id));
      if (ids.length === 0 || unknown.length)
        throw new UsageError(`${flag}: unknown operation '${unknown[0] ?? value}'; choose from ${OPERATION_IDS.join(', ')}`);
      return ids;
    }
    case 'path':
      if (!value.trim()) throw new UsageError(`${flag} needs a folder`);
      return value;
    case 'flag':
      return '';
  }
}

/** Parses `npm run bench -- …`; throws UsageError (exit 2) naming the bad flag. */
export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const given = new Map<string, number | string | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = FLAGS[flag];
    if (!kind) throw new UsageError(`unknown argument '${arg}'\n\n${BENCH_USAGE}`);
    if (given.has(flag)) throw new UsageError(`${flag} is given twice`);
    if (kind === 'flag') {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      given.set(flag, '');
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    given.set(flag, parseValue(flag, kind, value));
  }
  const number = (flag: string, fallback: number) => (given.get(flag) as number | undefined) ?? fallback;

  const users = number('--users', BENCH_DEFAULTS.users);
  const dataset: DatasetSpec = {
    products: number('--products', BENCH_DEFAULTS.products),
    users,
    orders: number('--orders', users * BENCH_DEFAULTS.ordersPerUser),
    cartLines: number('--cart-lines', BENCH_DEFAULTS.cartLines),
    linesPerOrder: number('--order-lines', BENCH_DEFAULTS.orderLines),
    demoAccounts: false,
  };
  if (dataset.cartLines > 100) throw new UsageError("--cart-lines must be at most 100 (a cart's limit)");
  if (dataset.linesPerOrder > 100) throw new UsageError("--order-lines must be at most 100 (an order's limit)");
  const needProducts = Math.max(BIG_CART_LINES, dataset.cartLines, dataset.linesPerOrder);
  if (dataset.products < needProducts)
    throw new UsageError(`--products must be at least ${needProducts}: bench-user-1's cart holds ${BIG_CART_LINES} distinct products`);

  const only = (given.get('--only') as string[] | undefined) ?? [];
  if (given.has('--replicas') && given.has('--rounds') && only.length === 0)
    throw new UsageError('--rounds repeats the cache-on and cache-off passes, which --replicas runs only for the operations --only names');

  return {
    dataset,
    duration: number('--duration', BENCH_DEFAULTS.duration),
    warmup: number('--warmup', BENCH_DEFAULTS.warmup),
    connections: number('--connections', BENCH_DEFAULTS.connections),
    rounds: number('--rounds', BENCH_DEFAULTS.rounds),
    fresh: given.has('--fresh'),
    basePort: given.get('--port') as number | undefined,
    prefix: (given.get('--prefix') as string | undefined) ?? BENCH_DEFAULTS.prefix,
    only,
    outDir: (given.get('--out') as string | undefined) ?? BENCH_DEFAULTS.outDir,
    replicas: given.get('--replicas') as number | undefined,
  };
}
