import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli';
import { parseBenchArgs, type BenchOptions } from '../src/bench/args';
import { countDifferences, expectedCounts } from '../src/bench/dataset';
import type { LoadResult } from '../src/bench/load';
import { answerProblem, routerPlan, signedPlan } from '../src/bench/load';
import { verifyRequest } from '@shop/runtime';
import { countersOf, diffSnapshots, hitRatio, parsePrometheus, type Counters, type Snapshot } from '../src/bench/metrics';
import { OPERATIONS } from '../src/bench/operations';
import { planReplicaStack, replicaPorts, REPLICA_DRAIN_SECONDS } from '../src/bench/replica-stack';
import { benchPassed, formatMarkdown, replicasLine, replicasSection } from '../src/bench/report';
import type { BenchReport, ReplicasResult, RunResult } from '../src/bench/results';
import type { BenchSetup } from '../src/bench/stack';
import { TRUSTED_PROXIES } from '../src/start/plan';
import { percentile, summariseLatencies } from '../src/bench/stats';
import { evaluateTargets } from '../src/bench/targets';
import { parseProcStat } from '../src/bench/host-cpu';

const options = (argv: string[]) => parseBenchArgs(argv) as BenchOptions;

describe('bench flags', () => {
  it('defaults to 10,000 products and 1,000 users with 20 orders each, 10 s and 32 connections', () => {
    const parsed = options([]);
    expect(parsed.dataset).toEqual({ products: 10_000, users: 1_000, orders: 20_000, cartLines: 3, linesPerOrder: 3, demoAccounts: false });
    expect(parsed).toMatchObject({
      duration: 10,
      warmup: 2,
      connections: 32,
      rounds: 1,
      fresh: false,
      basePort: undefined,
      prefix: 'bench',
      only: [],
      outDir: 'bench-results',
      replicas: undefined,
    });
  });

  it('reads every flag, in both forms', () => {
    const parsed = options([
      '--products',
      '500',
      '--users=20',
      '--orders',
      '100',
      '--cart-lines',
      '4',
      '--order-lines=2',
      '--duration',
      '3',
      '--warmup',
      '0',
      '--connections',
      '4',
      '--rounds=3',
      '--fresh',
      '--port',
      '6000',
      '--prefix',
      'bench_b',
      '--only',
      'my-cart-50,product-by-sku',
      '--out',
      '/tmp/out',
    ]);
    expect(parsed.dataset).toMatchObject({ products: 500, users: 20, orders: 100, cartLines: 4, linesPerOrder: 2 });
    expect(parsed).toMatchObject({
      duration: 3,
      warmup: 0,
      connections: 4,
      rounds: 3,
      fresh: true,
      basePort: 6000,
      prefix: 'bench_b',
      only: ['my-cart-50', 'product-by-sku'],
      outDir: '/tmp/out',
    });
  });

  it('takes 1 to 10 rounds', () => {
    expect(options(['--rounds', '1']).rounds).toBe(1);
    expect(options(['--rounds', '10']).rounds).toBe(10);
  });

  it('--replicas takes 2 to 10, alone or with --only (then --rounds too)', () => {
    expect(options(['--replicas', '2']).replicas).toBe(2);
    expect(options(['--replicas=10']).replicas).toBe(10);
    expect(options(['--replicas', '3', '--only', 'my-cart-50', '--rounds', '2'])).toMatchObject({ replicas: 3, only: ['my-cart-50'], rounds: 2 });
  });

  it('orders default to 20 per user', () => {
    expect(options(['--users', '7']).dataset.orders).toBe(140);
  });

  it.each([
    [['--products', '0'], /--products must be a positive integer/],
    [['--users', 'many'], /--users must be a positive integer/],
    [['--duration', '0'], /--duration must be a whole number of seconds/],
    [['--connections'], /--connections needs a value/],
    [['--cart-lines', '101'], /at most 100/],
    [['--products', '20'], /at least 50/],
    [['--only', 'checkout'], /unknown operation 'checkout'/],
    [['--prefix', 'Bench-1'], /--prefix must be lowercase/],
    [['--fresh=yes'], /takes no value/],
    [['--duration', '5', '--duration', '6'], /given twice/],
    [['--colour'], /unknown argument '--colour'/],
    [['--rounds', '0'], /--rounds must be a whole number of rounds, 1\.\.10 \(got '0'\)/],
    [['--rounds', '11'], /--rounds must be a whole number of rounds, 1\.\.10 \(got '11'\)/],
    [['--rounds', 'three'], /--rounds must be a whole number of rounds, 1\.\.10 \(got 'three'\)/],
    [['--rounds=2.5'], /--rounds must be a whole number of rounds/],
    [['--rounds'], /--rounds needs a value/],
    [['--replicas', '1'], /--replicas must be a whole number of replicas, 2\.\.10 \(1 is what the bench always runs\) \(got '1'\)/],
    [['--replicas', '11'], /--replicas must be a whole number of replicas, 2\.\.10 .*\(got '11'\)/],
    [['--replicas=two'], /--replicas must be a whole number of replicas/],
    [['--replicas', '2.5'], /--replicas must be a whole number of replicas/],
    [['--replicas', '-2'], /--replicas must be a whole number of replicas/],
    [['--replicas'], /--replicas needs a value/],
    [['--replicas', '2', '--replicas', '3'], /--replicas is given twice/],
    [['--replicas', '2', '--rounds', '2'], /--rounds repeats the cache-on and cache-off passes, which --replicas runs only for the operations --only names/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it('--help asks for the usage', () => {
    expect(parseBenchArgs(['--duration', '5', '--help'])).toBe('help');
  });
});

describe('bench dataset sizes', () => {
  it("expects bench-user-1 topped up to a 50-line cart beside everyone else's", () => {
    const want = expectedCounts(options([]).dataset);
    expect(want).toEqual({ products: 10_000, users: 1_000, orders: 20_000, orderLines: 60_000, cartLines: 999 * 3 + 50, bigCartLines: 50 });
    expect(countDifferences(want, want)).toEqual([]);
    expect(countDifferences({ ...want, products: 200 }, want)).toEqual(['products 200 (want 10000)']);
  });
});

describe('latency percentiles', () => {
  it('are nearest-rank over every sample', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summariseLatencies(samples)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
    expect(percentile([], 50)).toBe(0);
    expect(percentile(Float64Array.from([7]), 99)).toBe(7);
  });
});

const EXPOSITION = `# HELP sql_statements_total SQL statements executed, by GraphQL operation
# TYPE sql_statements_total counter
sql_statements_total{operation="BenchMyCart__cart__1",service="cart"} 12
sql_statements_total{operation="anonymous",service="cart"} 3
# TYPE cache_lookups_total counter
cache_lookups_total{operation="BenchMyCart__cart__1",result="hit",service="cart"} 40
cache_lookups_total{operation="BenchMyCart__cart__1",result="miss",service="cart"} 10
graphql_request_duration_seconds_bucket{le="0.005",operation="x",outcome="ok",service="cart"} 4
graphql_request_duration_seconds_count{operation="x",outcome="ok",service="cart"} 5
graphql_request_duration_seconds_count{operation="x",outcome="error",service="cart"} 1
process_cpu_seconds_total{service="cart"} 1.5e+1
`;

describe('metrics', () => {
  it('sums the counters of a Prometheus exposition over every operation', () => {
    const samples = parsePrometheus(EXPOSITION);
    expect(samples.find((s) => s.name === 'process_cpu_seconds_total')?.value).toBe(15);
    expect(countersOf(samples)).toEqual({ sqlStatements: 15, cacheHits: 40, cacheMisses: 10, requests: 6, cpuSeconds: 15 });
  });

  it('diffs snapshots and computes a hit ratio, none without lookups', () => {
    const before: Snapshot = { cart: { sqlStatements: 10, cacheHits: 5, cacheMisses: 5, requests: 2, cpuSeconds: 1 } };
    const after: Snapshot = { cart: { sqlStatements: 12, cacheHits: 35, cacheMisses: 15, requests: 4, cpuSeconds: 1.5 } };
    const delta = diffSnapshots(before, after);
    expect(delta.cart).toEqual({ sqlStatements: 2, cacheHits: 30, cacheMisses: 10, requests: 2, cpuSeconds: 0.5 });
    expect(hitRatio(delta.cart!)).toBe(0.75);
    expect(hitRatio({ sqlStatements: 3, cacheHits: 0, cacheMisses: 0, requests: 1, cpuSeconds: 0 })).toBeNull();
  });
});

describe('host CPU', () => {
  it("reads a process's own and its reaped children's CPU ticks from /proc/<pid>/stat, whatever its name holds", () => {
    const line = '4242 (postgres: x (y)) S 1 4242 4242 0 -1 4194560 500 0 0 0 120 30 7 3 20 0 1 0 100 200000000 3000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ comm: 'postgres: x (y)', ticks: 160 });
    expect(parseProcStat('garbage')).toBeNull();
  });
});

describe('request plans', () => {
  it('sign direct requests so that the product subgraph, and only it, accepts them', () => {
    const secret = 'bench-secret-0123456789abcdef-0123456789';
    const plan = signedPlan('http://127.0.0.1:1/graphql', 'product', ['{"query":"{ a }"}', '{"query":"{ b }"}'], secret);
    const { body, headers } = plan.request(1);
    expect(body).toBe('{"query":"{ b }"}');
    const verify = (audience: string) => verifyRequest([secret], { audience, method: 'POST', headers, body: Buffer.from(body), maxSkewSeconds: 60 });
    expect(verify('product')).toEqual({ ok: true, identity: null });
    expect(verify('cart')).toMatchObject({ ok: false });
  });

  it('rotate bodies and tokens per request through the router', () => {
    const plan = routerPlan('http://127.0.0.1:1/graphql', ['b0', 'b1', 'b2'], ['t0', 't1']);
    expect([0, 1, 2, 3].map((n) => [plan.request(n).body, plan.request(n).headers.authorization])).toEqual([
      ['b0', 'Bearer t0'],
      ['b1', 'Bearer t1'],
      ['b2', 'Bearer t0'],
      ['b0', 'Bearer t1'],
    ]);
    expect(routerPlan('http://127.0.0.1:1/graphql', ['b'], [null]).request(0).headers).toEqual({});
  });
});

describe('answers', () => {
  it('a GraphQL error, an HTTP error or missing data is a problem', () => {
    expect(answerProblem({ status: 200, body: { data: { me: null } } })).toBeNull();
    expect(answerProblem({ status: 200, body: { data: null, errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] } })).toMatch(
      /UNAUTHENTICATED: no/,
    );
    expect(answerProblem({ status: 502, body: 'Bad gateway' })).toMatch(/HTTP 502/);
  });

  it('the cart check wants every line of the 50-line cart with its product', () => {
    const cart = OPERATIONS.find((op) => op.id === 'my-cart-50')!;
    const dataset = options([]).dataset;
    const items = Array.from({ length: 50 }, () => ({ quantity: 1, product: { id: 'p' } }));
    expect(cart.check({ myCart: { items } }, dataset, 50)).toBeNull();
    expect(cart.check({ myCart: { items: items.slice(1) } }, dataset, 50)).toMatch(/expected 50 cart lines, got 49/);
    expect(cart.check({ myCart: { items: [...items.slice(1), { quantity: 1, product: null }] } }, dataset, 50)).toMatch(/no product/);
  });
});

const counters = (sqlStatements: number, requests = 1, cacheHits = 0, cacheMisses = 0): Counters => ({
  sqlStatements,
  cacheHits,
  cacheMisses,
  requests,
  cpuSeconds: 0,
});
const idle = counters(0, 0);

function load(rps: number, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    seconds: 10,
    responses: rps * 10,
    rps,
    latencyMs: { p50: 4, p95: 9.25, p99: 120.4, max: 200, mean: 5 },
    non2xx: 0,
    graphqlErrors: 0,
    socketErrors: 0,
    statusCodes: { 200: rps * 10 },
    ...extra,
  };
}

function goodRuns(): RunResult[] {
  const cold = { product: counters(1, 2), user: counters(1), cart: counters(2), order: counters(2) };
  const warm = { product: counters(0, 2, 63), user: counters(0, 1, 1), cart: counters(0, 1, 4), order: counters(0, 1, 40) };
  const four = { operation: 'four-subgraphs', title: 'me + cart + orders (four subgraphs)', via: 'router', round: 1 } as const;
  const cart = { operation: 'my-cart-50', title: 'my cart with 50 products', via: 'router', round: 1 } as const;
  const sku = { operation: 'product-by-sku', title: 'product by sku', round: 1 } as const;
  return [
    {
      ...four,
      cache: true,
      cold,
      warm,
      load: load(300),
      counters: { router: { ...counters(0, 3000), cpuSeconds: 6 }, product: counters(0, 6000, 9000, 0), user: idle, cart: idle, order: idle },
      hostCpu: { postgres: 0.3, redis: 0.6, loadGenerator: 1.5 },
    },
    { ...four, cache: false, cold, load: load(150), counters: { product: counters(3000, 3000), user: idle, cart: idle, order: idle } },
    { ...cart, cache: true, load: load(900) },
    { ...cart, cache: false, load: load(400) },
    {
      ...sku,
      via: 'router',
      cache: true,
      load: load(1200),
      counters: { router: { ...counters(0, 12_000), cpuSeconds: 12 }, product: { ...counters(0, 12_000), cpuSeconds: 6 } },
    },
    { ...sku, via: 'product subgraph', cache: true, load: load(2000), counters: { product: { ...counters(0, 20_000), cpuSeconds: 10 } } },
  ];
}

describe('targets', () => {
  it('pass when cold stays within one statement per entity type and call, warm is twice as fast and the router keeps half the throughput', () => {
    const targets = evaluateTargets(goodRuns());
    expect(targets[0]!.detail).toContain('cold (cache just emptied): product 1/2 (2 calls), user 1/1, cart 2/2, order 2/2');
    expect(targets.map((t) => [t.id, t.status])).toEqual([
      ['a', 'pass'],
      ['b', 'pass'],
      ['c', 'pass'],
    ]);
    expect(targets[1]!.detail).toContain('2.25×');
    expect(targets[2]!.detail).toContain('60%');
  });

  it('fail with the measured numbers when they are missed', () => {
    const runs = goodRuns();
    runs[1] = { ...runs[1]!, cold: { ...runs[1]!.cold!, product: counters(3, 2), cart: counters(3) } };
    runs[0] = { ...runs[0]!, warm: { ...runs[0]!.warm!, user: counters(1) } };
    runs[2] = { ...runs[2]!, load: load(700) };
    runs[4] = { ...runs[4]!, load: load(900) };
    const [a, b, c] = evaluateTargets(runs);
    expect(a).toMatchObject({ status: 'fail' });
    expect(a!.detail).toContain('cache off: product 3/2 (2 calls), user 1/1, cart 3/2, order 2/2');
    expect(a!.detail).toContain('Failed: cache off: product, cart over budget');
    expect(a!.detail).toContain('warm: product 0, user 1');
    expect(b).toMatchObject({ status: 'fail' });
    expect(b!.detail).toContain('1.75×');
    expect(c).toMatchObject({ status: 'fail' });
    expect(c!.detail).toContain('45%');
  });

  it('are "not run" when the operations they need were left out', () => {
    expect(evaluateTargets([]).map((t) => t.status)).toEqual(['not run', 'not run', 'not run']);
  });
});

/**
 * Three rounds of goodRuns with my-cart-50 at 1.84×, 2.05× and 2.31× and product-by-sku at
 * 45%, 60% and 52%; round 2 listed first, as rounds need not arrive in order.
 */
function threeRounds(): RunResult[] {
  const speeds: Array<{ cart: [number, number]; sku: [number, number] }> = [
    { cart: [552, 300], sku: [900, 2000] },
    { cart: [690, 336.6], sku: [1200, 2000] },
    { cart: [693, 300], sku: [1040, 2000] },
  ];
  const roundRuns = (round: number) =>
    goodRuns().map((run): RunResult => {
      const speed = speeds[round - 1]!;
      if (run.operation === 'my-cart-50') return { ...run, round, load: load(run.cache ? speed.cart[0] : speed.cart[1]) };
      if (run.operation === 'product-by-sku') return { ...run, round, load: load(run.via === 'router' ? speed.sku[0] : speed.sku[1]) };
      return { ...run, round };
    });
  return [...roundRuns(2), ...roundRuns(1), ...roundRuns(3)];
}

describe('targets over several rounds', () => {
  it('take the median of the per-round ratios and list each round', () => {
    const [a, b, c] = evaluateTargets(threeRounds());
    expect(a).toMatchObject({ status: 'pass' });
    expect(b).toMatchObject({ status: 'pass' });
    expect(b!.detail).toBe(
      'median 2.05× over 3 rounds (1.84×, 2.05×, 2.31×); round 1: 552 req/s on vs 300 req/s off; round 2: 690 req/s on vs 337 req/s off; round 3: 693 req/s on vs 300 req/s off',
    );
    expect(c).toMatchObject({ status: 'pass' });
    expect(c!.detail).toMatch(/^median 52% over 3 rounds \(45%, 60%, 52%\); round 1: 900 req\/s through the router vs 2000 req\/s direct/);
  });

  it('average the two middle ratios for an even count and judge the median, not any single round', () => {
    const runs = threeRounds().filter((run) => run.round !== 3);
    const [, b, c] = evaluateTargets(runs);
    expect(b!.detail).toMatch(/^median 1\.94× over 2 rounds \(1\.84×, 2\.05×\)/);
    expect(b).toMatchObject({ status: 'fail' });
    expect(c!.detail).toMatch(/^median 53% over 2 rounds/);
    expect(c).toMatchObject({ status: 'pass' });
  });

  it('skip a round missing either side, and are "not run" when no round is complete', () => {
    const runs = threeRounds().filter((run) => !(run.round === 1 && run.operation === 'my-cart-50' && !run.cache));
    const b = evaluateTargets(runs)[1]!;
    expect(b.detail).toMatch(/^median 2\.18× over 2 rounds \(2\.05×, 2\.31×\); round 2: .*; round 1 not complete$/);
    const none = threeRounds().filter((run) => !(run.operation === 'my-cart-50' && !run.cache));
    expect(evaluateTargets(none)[1]).toMatchObject({ status: 'not run' });
  });

  it('read the single-request statements of round 1', () => {
    const runs = threeRounds().map((run) =>
      run.round === 2 && run.operation === 'four-subgraphs' && run.cache ? { ...run, warm: { ...run.warm!, user: counters(5) } } : run,
    );
    expect(evaluateTargets(runs)[0]).toMatchObject({ status: 'pass' });
  });
});

function report(runs: RunResult[], rounds = 1): BenchReport {
  return {
    startedAt: '2026-11-28T12:00:00.000Z',
    finishedAt: '2026-11-28T12:04:00.000Z',
    commit: '0123456789abcdef',
    machine: { node: 'v20.19.0', cpus: 2, platform: 'linux x64', loadAverage: { atStart: 0.5, atEnd: 1.5 } },
    options: { duration: 10, warmup: 2, connections: 10, rounds, prefix: 'bench' },
    dataset: {
      products: 10_000,
      users: 1_000,
      orders: 20_000,
      cartLines: 3,
      orderLines: 3,
      bigCartLines: 50,
      seeded: true,
      seedSeconds: 42.5,
      eventDrainSeconds: 30,
    },
    rotation: { users: 50, skus: 200 },
    totalSeconds: 240,
    runs,
    targets: evaluateTargets(runs),
  };
}

describe('markdown report', () => {
  it('has a row per run with throughput, latency percentiles, errors, SQL per request and cache hits', () => {
    const markdown = formatMarkdown(report(goodRuns()));
    expect(markdown).toContain('10000 products, 1000 users');
    expect(markdown).toContain('seeded in 42.5 s, its product events applied by the running stack in 30 s');
    expect(markdown).toContain('| operation | via | cache | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/request | cache hits |');
    expect(markdown).toContain('| me + cart + orders (four subgraphs) | router | on | 300 | 4.0 | 9.3 | 120 | 0 | 0.00 | 100.0% |');
    expect(markdown).toContain('| me + cart + orders (four subgraphs) | router | off | 150 | 4.0 | 9.3 | 120 | 0 | 2.00 | – |');
    expect(markdown).toContain('| product by sku | on | 1200 | 2000 | 60% | 33% |');
    expect(markdown).toContain('| me + cart + orders (four subgraphs) | router | on | 2.00 | 0.00 | 0.00 | 0.00 | 0.00 | 0.10 | 0.20 | 2.30 | 0.50 |');
    expect(markdown).toContain('| me + cart + orders (four subgraphs) | router | cold (cache just emptied) | 1 in 2 calls | 1 | 2 | 2 | 6 |');
    expect(markdown).toMatch(/\| \(b\) \| warm vs cold: .* \| PASS \|/);
    expect(benchPassed(report(goodRuns()))).toBe(true);
  });

  it('shows errors in bold with their kinds, lists the skipped runs and does not pass', () => {
    const runs = goodRuns();
    runs[2] = { ...runs[2]!, load: load(900, { non2xx: 2, graphqlErrors: 3, firstError: '{"errors":[{"message":"boom"}]}' }) };
    runs.push({
      operation: 'my-orders-20',
      title: 'my orders (last 20) with lines and products',
      via: 'router',
      cache: true,
      round: 1,
      error: 'HTTP 400, 1 GraphQL error(s)',
    });
    const text = formatMarkdown(report(runs));
    expect(text).toContain('**5** (2 non-2xx, 3 GraphQL, 0 socket)');
    expect(text).toContain('| my orders (last 20) with lines and products | router | on | not run |');
    expect(text).toContain('## Errors');
    expect(text).toContain('boom');
    expect(benchPassed(report(runs))).toBe(false);
  });

  it('with several rounds has a round column, rows by operation, via, cache and round, and a median row of router overhead', () => {
    const runs = threeRounds();
    runs.push({
      operation: 'my-orders-20',
      title: 'my orders (last 20) with lines and products',
      via: 'router',
      cache: false,
      round: 3,
      error: 'HTTP 502: bad',
    });
    const text = formatMarkdown(report(runs, 3));
    expect(text).toContain('3 rounds of a cache-on then a cache-off pass');
    expect(text).toContain('| operation | via | cache | round | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/request | cache hits |');
    expect(text).toContain('|---|---|---|---:|---:|');
    const cartRows = text.split('\n').filter((line) => line.startsWith('| my cart with 50 products | router |'));
    expect(cartRows.map((line) => line.split(' | ').slice(2, 5).join(' '))).toEqual([
      'on 1 552',
      'on 2 690',
      'on 3 693',
      'off 1 300',
      'off 2 337',
      'off 3 300',
    ]);
    expect(text).toContain('| operation | via | cache | round | router | product | user | cart | order | postgres | redis | total | load generator |');
    expect(text).toContain('| me + cart + orders (four subgraphs) | router | on | 2 | 2.00 | 0.00 |');
    expect(text).toContain('| operation | cache | round | router req/s | product subgraph req/s | router / subgraph | by CPU per request |');
    expect(text).toContain('| product by sku | on | 1 | 900 | 2000 | 45% | 33% |');
    expect(text).toContain('| product by sku | on | 3 | 1040 | 2000 | 52% | 33% |');
    expect(text).toContain('| product by sku | on | median | 1040 | 2000 | 52% | 33% |');
    expect(text.match(/\| cold \(cache just emptied\) \|/g)).toHaveLength(1);
    expect(text).toContain('median 2.05× over 3 rounds');
    expect(text).toContain('- my orders (last 20) with lines and products via router, cache off, round 3: HTTP 502: bad');
  });

  it('with one round has no round column', () => {
    const text = formatMarkdown(report(goodRuns()));
    expect(text).not.toMatch(/\bround\b/);
    expect(text).toContain('| operation | cache | router req/s | product subgraph req/s | router / subgraph | by CPU per request |');
  });
});

const benchSetup = (): BenchSetup => ({
  ports: { router: 7000, product: 7001, user: 7002, cart: 7003, order: 7004 },
  prefix: 'bench',
  signingSecret: 's'.repeat(64),
  jwtPrivateKeys: '[]',
  secretsDir: '/tmp/secrets',
  baseEnv: { PATH: '/usr/bin', SHUTDOWN_DRAIN_SECONDS: '0', ROUTER_SUBGRAPH_CART_URL: 'http://elsewhere/graphql' },
});

describe('replica stack plan', () => {
  it('keeps the front door and replica 0 of each subgraph on the bench ports and gives every other process a distinct free port', async () => {
    const offered = [7001, 8001, 8001, 8002, 7000, 8003, 8004, 8005, 8006, 8007];
    const ports = await replicaPorts(benchSetup(), 2, async () => offered.shift()!);
    expect(ports).toEqual({
      frontDoor: 7000,
      subgraphs: { product: [7001, 8001], user: [7002, 8002], cart: [7003, 8003], order: [7004, 8004] },
      routers: [8005, 8006],
    });
  });

  it("gives every router each subgraph's replicas as a list, user replica k's JWKS and the trusted proxies, and every process a 3 s drain", () => {
    const setup = benchSetup();
    const plan = planReplicaStack(setup, 2, {
      frontDoor: 7000,
      subgraphs: { product: [7001, 8001], user: [7002, 8002], cart: [7003, 8003], order: [7004, 8004] },
      routers: [8005, 8006],
    });
    expect(plan.frontDoorPort).toBe(7000);
    expect(plan.processes.map((p) => `${p.name}:${p.port}`)).toEqual([
      'product-0:7001',
      'product-1:8001',
      'user-0:7002',
      'user-1:8002',
      'cart-0:7003',
      'cart-1:8003',
      'order-0:7004',
      'order-1:8004',
      'router-0:8005',
      'router-1:8006',
    ]);
    const [router0, router1] = plan.processes.filter((p) => p.service === 'router').map((p) => p.spec.env);
    expect(router0).toMatchObject({
      PORT: '8005',
      ROUTER_SUBGRAPH_PRODUCT_URL: 'http://127.0.0.1:7001/graphql,http://127.0.0.1:8001/graphql',
      ROUTER_SUBGRAPH_CART_URL: 'http://127.0.0.1:7003/graphql,http://127.0.0.1:8003/graphql',
      AUTH_JWKS_URL: 'http://127.0.0.1:7002/.well-known/jwks.json',
      ROUTER_TRUSTED_PROXIES: TRUSTED_PROXIES,
      REDIS_KEY_PREFIX: 'bench:',
      NODE_ENV: 'production',
    });
    expect(router1!.AUTH_JWKS_URL).toBe('http://127.0.0.1:8002/.well-known/jwks.json');
    const cart1 = plan.processes.find((p) => p.name === 'cart-1')!;
    expect(cart1.spec.env).toMatchObject({ PORT: '8003', POSTGRES_DB: 'bench_cart', RABBITMQ_QUEUE_PREFIX: 'bench' });
    expect(cart1.spec.readyUrl).toBe('http://127.0.0.1:8003/health/ready');
    expect(plan.processes.every((p) => p.spec.env.SHUTDOWN_DRAIN_SECONDS === String(REPLICA_DRAIN_SECONDS))).toBe(true);
    expect(REPLICA_DRAIN_SECONDS).toBe(3);
  });
});

function replicasResult(overrides: Partial<ReplicasResult> = {}): ReplicasResult {
  const step = (process: string, service: 'router' | 'product' | 'user' | 'cart' | 'order', exitSeconds: number) => ({
    process,
    service,
    exitSeconds,
    exit: 'exit code 0',
    drainErrors: 0,
    readySeconds: 1.25,
    restartErrors: 0,
  });
  return {
    replicas: 2,
    operation: 'four-subgraphs',
    drainSeconds: 3,
    runs: [
      { replicas: 1, frontDoor: 'router', load: load(300, { latencyMs: { p50: 100, p95: 150, p99: 200, max: 300, mean: 105 } }) },
      { replicas: 2, frontDoor: 'HAProxy', load: load(270, { latencyMs: { p50: 110, p95: 190, p99: 260, max: 400, mean: 118 } }) },
    ],
    sigterm: {
      load: load(250, { seconds: 40 }),
      steps: [
        step('router-0', 'router', 3.21),
        step('product-0', 'product', 3.05),
        step('user-0', 'user', 3.1),
        step('cart-0', 'cart', 3.04),
        step('order-0', 'order', 3.5),
      ],
    },
    ...overrides,
  };
}

describe('replicas report', () => {
  const machine = report([]).machine;
  const opts = report([]).options;

  it('puts one replica beside N with the ratios, says the replicas share the same CPUs, and lists SIGTERM to exit per process', () => {
    const text = replicasSection(replicasResult(), { machine, options: opts }).join('\n');
    expect(text).toMatch(/^## Replicas\n/);
    expect(text).toContain('On 2 CPUs, more replicas compete for the same cores');
    expect(text).toContain('`npm start -- --replicas 2`');
    expect(text).toContain('| replicas | front door | req/s | p50 ms | p99 ms | errors |');
    expect(text).toContain('| 1 | router | 300 | 100 | 200 | 0 |');
    expect(text).toContain('| 2 | HAProxy → 2 routers | 270 | 110 | 260 | 0 |');
    expect(text).toContain('| 2 / 1 |  | 0.90× | 1.10× | 1.30× |  |');
    expect(text).toContain('### SIGTERM to exit under load');
    expect(text).toContain('SHUTDOWN_DRAIN_SECONDS=3');
    expect(text).toContain('| process | SIGTERM → exit | exit | errors while draining | ready again after | errors until ready |');
    expect(text).toContain('| router-0 | 3.21 s | exit code 0 | 0 | 1.3 s | 0 |');
    expect(text).toContain('| order-0 | 3.50 s | exit code 0 | 0 | 1.3 s | 0 |');
    expect(text).toContain('The load over the whole phase (40 s, drains and restarts included): 250 req/s, p50 4.0 ms, p99 120 ms, 0 errors.');
    expect(text).not.toContain('First failed answer');
  });

  it("prints one line with both sides, the ratio and each service's SIGTERM to exit", () => {
    expect(replicasLine(replicasResult())).toBe(
      'replicas: four-subgraph query, 1 replica 300 req/s, p99 200 ms vs 2 replicas 270 req/s, p99 260 ms (0.90× the req/s); ' +
        'SIGTERM→exit under load: router 3.2 s, product 3.0 s, user 3.1 s, cart 3.0 s, order 3.5 s; 0 errors while draining, 0 until ready again',
    );
  });

  it('shows errors during a drain in bold with the first failed answer, and the bench does not pass', () => {
    const result = replicasResult();
    result.sigterm.steps[0] = { ...result.sigterm.steps[0]!, drainErrors: 3, restartErrors: 1, firstError: 'HTTP 502: bad gateway' };
    result.sigterm.load = load(250, { non2xx: 4 });
    const text = replicasSection(result, { machine, options: opts }).join('\n');
    expect(text).toContain('| router-0 | 3.21 s | exit code 0 | **3** | 1.3 s | **1** |');
    expect(text).toContain('**4** (4 non-2xx, 0 GraphQL, 0 socket) errors.');
    expect(text).toContain('- router-0: HTTP 502: bad gateway');
    expect(replicasLine(result)).toContain('3 errors while draining, 1 until ready again');
    expect(benchPassed({ ...report([]), replicas: result })).toBe(false);
    expect(benchPassed({ ...report([]), replicas: replicasResult() })).toBe(true);
  });

  it('says why when the comparison or the SIGTERM phase could not run', () => {
    const missing = replicasResult({ error: '--replicas puts HAProxy in front of the routers, but haproxy is not installed.', runs: [] });
    expect(replicasSection(missing, { machine, options: opts }).join('\n')).toContain('**Not run**: --replicas puts HAProxy');
    expect(replicasLine(missing)).toBe('replicas: not run: --replicas puts HAProxy in front of the routers, but haproxy is not installed.');
    expect(benchPassed({ ...report([]), replicas: missing })).toBe(false);
    const early = replicasResult({ sigterm: { steps: [], error: 'user-0 exited unexpectedly (exit code 1)' } });
    expect(replicasSection(early, { machine, options: opts }).join('\n')).toContain('**Stopped early**: user-0 exited unexpectedly');
    expect(replicasLine(early)).toContain('SIGTERM phase not run; stopped early: user-0 exited unexpectedly');
  });

  it('in the whole report: only the replicas section when no operation ran, after the others when some did', () => {
    const alone = formatMarkdown({ ...report([]), replicas: replicasResult() });
    expect(alone).toContain('## Replicas');
    expect(alone).not.toContain('## Throughput and latency');
    expect(alone).not.toContain('## Targets');
    const both = formatMarkdown({ ...report(goodRuns()), replicas: replicasResult() });
    expect(both.indexOf('## Targets')).toBeLessThan(both.indexOf('## Replicas'));
    expect(formatMarkdown(report(goodRuns()))).not.toContain('Replicas');
  });
});
