import { SUBGRAPH_NAMES } from '../subgraphs';
import { loadErrors } from './load';
import { totalOf, type Snapshot } from './metrics';
import { OPERATION_IDS } from './operations';
import { cacheHitRatio, cpuMsPerRequest, findRun, sqlPerRequest, type BenchReport, type ReplicaRun, type ReplicasResult, type RunResult } from './results';
import { median } from './stats';

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const rps = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const percent = (ratio: number | null) => (ratio === null ? '–' : `${(ratio * 100).toFixed(1)}%`);
const cacheLabel = (on: boolean) => (on ? 'on' : 'off');

function table(header: string[], align: Array<'l' | 'r'>, rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join(
    '\n',
  );
}

/** Runs in a stable order: operation, then router before subgraph, cache on before off, then round. */
export function orderedRuns(runs: readonly RunResult[]): RunResult[] {
  const rank = (run: RunResult) => OPERATION_IDS.indexOf(run.operation) * 4 + (run.via === 'router' ? 0 : 2) + (run.cache ? 0 : 1);
  return [...runs].sort((a, b) => rank(a) - rank(b) || a.round - b.round);
}

/**
 * The cells that name a run in a table: with several rounds its round too, so each round's
 * rows stand beside each other; with one, the tables read as they did before rounds.
 */
function runHead(run: RunResult, withRound: boolean): string[] {
  return [run.title, run.via, cacheLabel(run.cache), ...(withRound ? [String(run.round)] : [])];
}

/** A header (or alignment) row with a round column after the cache column when there are several rounds. */
function withRoundColumn<T>(cells: T[], round: T, withRound: boolean): T[] {
  return withRound ? [...cells.slice(0, 3), round, ...cells.slice(3)] : cells;
}

const SERVICES = ['router', ...SUBGRAPH_NAMES] as const;

/** CPU milliseconds one request costs the services, Postgres and Redis together (not the load generator). */
export function totalCpuMs(run: RunResult): number | null {
  const cpu = cpuMsPerRequest(run);
  if (!cpu) return null;
  return SERVICES.reduce((sum, name) => sum + (cpu[name] ?? 0), 0) + (cpu.postgres ?? 0) + (cpu.redis ?? 0);
}

function throughputRow(run: RunResult, withRound: boolean): string[] {
  const head = runHead(run, withRound);
  if (!run.load) return [...head, 'not run', '', '', '', run.error ? `answer: ${run.error.replace(/\|/g, '/')}` : '', '', ''];
  const load = run.load;
  const sql = sqlPerRequest(run);
  const errors = loadErrors(load);
  return [
    ...head,
    rps(load.rps),
    ms(load.latencyMs.p50),
    ms(load.latencyMs.p95),
    ms(load.latencyMs.p99),
    errors === 0 ? '0' : `**${errors}** (${load.non2xx} non-2xx, ${load.graphqlErrors} GraphQL, ${load.socketErrors} socket)`,
    sql === null ? '–' : sql.toFixed(2),
    percent(cacheHitRatio(run)),
  ];
}

/** One product subgraph run beside the router run of the same operation, cache setting and round. */
interface OverheadPair {
  direct: RunResult & { load: NonNullable<RunResult['load']> };
  router: RunResult & { load: NonNullable<RunResult['load']> };
}

function overheadPairs(runs: readonly RunResult[]): OverheadPair[] {
  return runs.flatMap((direct) => {
    if (direct.via !== 'product subgraph' || !direct.load) return [];
    const router = findRun(runs, direct.operation, 'router', direct.cache, direct.round);
    return router?.load ? [{ direct: { ...direct, load: direct.load }, router: { ...router, load: router.load } }] : [];
  });
}

/** Direct CPU per request as a share of the routed one; null when either is unknown. */
function shareByCpu(pair: OverheadPair): number | null {
  const direct = totalCpuMs(pair.direct);
  const routed = totalCpuMs(pair.router);
  return direct !== null && routed ? direct / routed : null;
}

const wholePercent = (ratio: number | null) => (ratio === null ? '–' : `${(ratio * 100).toFixed(0)}%`);

/**
 * A row per operation and cache setting, or with several rounds a row per round and then
 * their medians (each column's own), the figure target (c) judges: a single round's share
 * moves with the machine's speed between the two runs.
 */
function overheadRows(runs: readonly RunResult[], withRound: boolean): string[][] {
  const rows: string[][] = [];
  const pairs = overheadPairs(runs);
  const groups = new Map<string, OverheadPair[]>();
  for (const pair of pairs) {
    const key = `${pair.direct.operation} ${pair.direct.cache}`;
    groups.set(key, [...(groups.get(key) ?? []), pair]);
  }
  for (const group of groups.values()) {
    const { title, cache } = group[0]!.direct;
    const row = (round: string[], router: number, direct: number, byRps: number, byCpu: number | null) => [
      title,
      cacheLabel(cache),
      ...round,
      rps(router),
      rps(direct),
      wholePercent(byRps),
      wholePercent(byCpu),
    ];
    for (const pair of group) {
      rows.push(
        row(
          withRound ? [String(pair.direct.round)] : [],
          pair.router.load.rps,
          pair.direct.load.rps,
          pair.router.load.rps / pair.direct.load.rps,
          shareByCpu(pair),
        ),
      );
    }
    if (!withRound) continue;
    const byCpu = group.map(shareByCpu).filter((share): share is number => share !== null);
    rows.push(
      row(
        ['median'],
        median(group.map((p) => p.router.load.rps)),
        median(group.map((p) => p.direct.load.rps)),
        median(group.map((p) => p.router.load.rps / p.direct.load.rps)),
        byCpu.length ? median(byCpu) : null,
      ),
    );
  }
  return rows;
}

function statementCell(snapshot: Snapshot | undefined, name: string): string {
  const counters = snapshot?.[name];
  if (!counters) return '–';
  if (counters.requests === 0 && counters.sqlStatements === 0) return '·';
  const hits = counters.cacheHits + counters.cacheMisses > 0 ? `, ${counters.cacheHits}/${counters.cacheHits + counters.cacheMisses} hit` : '';
  const calls = counters.requests > 1 ? ` in ${counters.requests} calls` : '';
  return `${counters.sqlStatements}${calls}${hits}`;
}

function statementRows(run: RunResult): string[][] {
  const rows: Array<[string, Snapshot | undefined]> = run.cache
    ? [
        ['cold (cache just emptied)', run.cold],
        ['warm (same request again)', run.warm],
      ]
    : [['cache off', run.cold]];
  return rows
    .filter(([, snapshot]) => snapshot !== undefined)
    .map(([label, snapshot]) => [
      run.title,
      run.via,
      label,
      ...SUBGRAPH_NAMES.map((name) => statementCell(snapshot, name)),
      String(totalOf(snapshot!).sqlStatements),
    ]);
}

export function formatMarkdown(report: BenchReport): string {
  const runs = orderedRuns(report.runs);
  const rounds = report.options.rounds;
  const withRound = rounds > 1;
  const d = report.dataset;
  const lines: string[] = [];
  lines.push(`# Benchmark ${report.startedAt}`);
  lines.push('');
  const seeding = d.seeded
    ? `seeded in ${d.seedSeconds.toFixed(1)} s, its product events applied by the running stack in ${d.eventDrainSeconds.toFixed(0)} s`
    : 'reused';
  const roundsNote = withRound
    ? `${rounds} rounds of a cache-on then a cache-off pass, each with its own stack, alternating; targets (b) and (c) take the median of the rounds' ratios; `
    : '';
  lines.push(
    `${d.products} products, ${d.users} users (carts of ${d.cartLines} lines; bench-user-1's: ${d.bigCartLines}), ${d.orders} orders of ${d.orderLines} lines` +
      ` (${seeding}). ` +
      `${report.options.duration} s per run after ${report.options.warmup} s warm-up, ${report.options.connections} connections; ` +
      roundsNote +
      `tokens of ${report.rotation.users} users and ${report.rotation.skus} skus rotated per request. ` +
      `Node ${report.machine.node}, ${report.machine.cpus} CPUs, ${report.machine.platform}` +
      `${report.commit ? `, commit ${report.commit.slice(0, 10)}` : ''}; the load generator runs on the same machine ` +
      `(1-minute load average ${report.machine.loadAverage.atStart.toFixed(1)} at the start, ${report.machine.loadAverage.atEnd.toFixed(1)} at the end). ` +
      `Whole run ${(report.totalSeconds / 60).toFixed(1)} min.`,
  );
  if (runs.length > 0) lines.push(...runSections(report, runs, withRound));
  if (report.replicas) lines.push('', ...replicasSection(report.replicas, report));
  return lines.join('\n') + '\n';
}

/** Throughput, CPU, router overhead, statements, targets and errors of the operation runs. */
function runSections(report: BenchReport, runs: RunResult[], withRound: boolean): string[] {
  const lines: string[] = [];
  lines.push('');
  lines.push('## Throughput and latency');
  lines.push('');
  lines.push(
    table(
      withRoundColumn(['operation', 'via', 'cache', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'SQL/request', 'cache hits'], 'round', withRound),
      withRoundColumn<'l' | 'r'>(['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], 'r', withRound),
      runs.map((run) => throughputRow(run, withRound)),
    ),
  );
  lines.push('');
  lines.push('## CPU per request');
  lines.push('');
  lines.push(
    'Milliseconds of CPU per request during the load: each service from its `process_cpu_seconds_total` (idle work such as ' +
      'polling is in it too: the small numbers of services an operation does not call); Postgres and Redis from /proc ' +
      '(everything they did meanwhile, for anyone); the load generator is the bench process itself. On a busy machine CPU ' +
      'time per request grows too, but less than throughput falls.',
  );
  lines.push('');
  const cpuRows = runs.flatMap((run) => {
    const cpu = cpuMsPerRequest(run);
    if (!cpu) return [];
    const cell = (value: number | undefined) => (value ?? 0).toFixed(2);
    return [
      [
        ...runHead(run, withRound),
        ...SERVICES.map((name) => cell(cpu[name])),
        cell(cpu.postgres),
        cell(cpu.redis),
        cell(totalCpuMs(run)!),
        cell(cpu.loadGenerator),
      ],
    ];
  });
  lines.push(
    table(
      withRoundColumn(['operation', 'via', 'cache', ...SERVICES, 'postgres', 'redis', 'total', 'load generator'], 'round', withRound),
      withRoundColumn<'l' | 'r'>(['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], 'r', withRound),
      cpuRows,
    ),
  );
  lines.push('');
  lines.push('## Router overhead');
  lines.push('');
  lines.push(
    'The last column compares CPU per request instead (services, Postgres and Redis, from the table above): ' +
      'what the two paths would reach on a machine with nothing else running.',
  );
  lines.push('');
  lines.push(
    table(
      ['operation', 'cache', ...(withRound ? ['round'] : []), 'router req/s', 'product subgraph req/s', 'router / subgraph', 'by CPU per request'],
      ['l', 'l', ...(withRound ? (['r'] as const) : []), 'r', 'r', 'r', 'r'],
      overheadRows(runs, withRound),
    ),
  );
  lines.push('');
  lines.push('## SQL statements of one request, per subgraph');
  lines.push('');
  lines.push(
    'Statements (and subgraph calls when more than one, and cache hits/lookups) from the `/metrics` deltas around a single request' +
      `${withRound ? " (round 1's; the JSON has every round's)" : ''}.`,
  );
  lines.push('');
  lines.push(
    table(
      ['operation', 'via', 'request', ...SUBGRAPH_NAMES, 'total'],
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
      runs.filter((run) => run.round === 1).flatMap(statementRows),
    ),
  );
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push(
    table(
      ['', 'target', 'result', 'measured'],
      ['l', 'l', 'l', 'l'],
      report.targets.map((t) => [`(${t.id})`, t.name, t.status === 'pass' ? 'PASS' : t.status === 'fail' ? '**FAIL**' : 'not run', t.detail]),
    ),
  );
  const failed = runs.filter((run) => run.error || (run.load && loadErrors(run.load) > 0));
  if (failed.length) {
    lines.push('');
    lines.push('## Errors');
    lines.push('');
    for (const run of failed)
      lines.push(
        `- ${run.title} via ${run.via}, cache ${cacheLabel(run.cache)}${withRound ? `, round ${run.round}` : ''}: ` +
          (run.error ?? run.load?.firstError ?? 'errors during load'),
      );
  }
  return lines;
}

const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const errorCell = (load: NonNullable<ReplicaRun['load']>) => {
  const errors = loadErrors(load);
  return errors === 0 ? '0' : `**${errors}** (${load.non2xx} non-2xx, ${load.graphqlErrors} GraphQL, ${load.socketErrors} socket)`;
};
const frontDoorLabel = (run: ReplicaRun) => (run.frontDoor === 'router' ? 'router' : `HAProxy → ${run.replicas} routers`);
const countCell = (n: number) => (n === 0 ? '0' : `**${n}**`);

/** The one and the N replica runs, when both loaded. */
function replicaPair(
  result: ReplicasResult,
): { one: Required<Pick<ReplicaRun, 'load'>> & ReplicaRun; many: Required<Pick<ReplicaRun, 'load'>> & ReplicaRun } | null {
  const one = result.runs.find((run) => run.replicas === 1);
  const many = result.runs.find((run) => run.replicas === result.replicas);
  return one?.load && many?.load ? { one: { ...one, load: one.load }, many: { ...many, load: many.load } } : null;
}

/** The "Replicas" section: one replica beside N on the four-subgraph query, then SIGTERM to exit of each service under load. */
export function replicasSection(result: ReplicasResult, report: Pick<BenchReport, 'machine' | 'options'>): string[] {
  const n = result.replicas;
  const { duration, warmup, connections } = report.options;
  const cpus = report.machine.cpus;
  const lines: string[] = ['## Replicas', ''];
  lines.push(
    `The four-subgraph query (cache on, tokens rotated) through the front door for ${duration} s after ${warmup} s warm-up on ` +
      `${connections} connections: first one process of each service, the router taking the requests itself; then ${n} replicas ` +
      `of every subgraph and of the router, behind HAProxy configured as \`npm start -- --replicas ${n}\` configures it. ` +
      `On ${cpus} CPU${cpus === 1 ? '' : 's'}, more replicas compete for the same cores: the ${n * 5} processes, HAProxy and ` +
      'the load generator all share them, so the second row shows what replicas cost or gain on this machine, not what they would add on more cores.',
  );
  lines.push('');
  if (result.error) {
    lines.push(`**Not run**: ${result.error}`);
    return lines;
  }
  const rows = result.runs.map((run) =>
    run.load
      ? [String(run.replicas), frontDoorLabel(run), rps(run.load.rps), ms(run.load.latencyMs.p50), ms(run.load.latencyMs.p99), errorCell(run.load)]
      : [String(run.replicas), frontDoorLabel(run), 'not run', '', '', `answer: ${(run.error ?? '').replace(/\|/g, '/')}`],
  );
  const pair = replicaPair(result);
  if (pair) {
    const { one, many } = pair;
    rows.push([
      `${n} / 1`,
      '',
      one.load.rps > 0 ? times(many.load.rps / one.load.rps) : '–',
      one.load.latencyMs.p50 > 0 ? times(many.load.latencyMs.p50 / one.load.latencyMs.p50) : '–',
      one.load.latencyMs.p99 > 0 ? times(many.load.latencyMs.p99 / one.load.latencyMs.p99) : '–',
      '',
    ]);
  }
  lines.push(table(['replicas', 'front door', 'req/s', 'p50 ms', 'p99 ms', 'errors'], ['r', 'l', 'r', 'r', 'r', 'r'], rows));
  lines.push('');
  lines.push('### SIGTERM to exit under load');
  lines.push('');
  lines.push(
    `In the ${n}-replica stack, every process with SHUTDOWN_DRAIN_SECONDS=${result.drainSeconds}: while the same query ran through HAProxy ` +
      `on ${connections} connections, replica 0 of each service in turn was sent SIGTERM and waited for until it exited, then started ` +
      'again and waited for until its /health/ready answered 200, with a few seconds of load before the next. ' +
      `A process drains for ${result.drainSeconds} s (it answers 503 to its checks and to new requests, which HAProxy or the routers send ` +
      'to another replica), then closes its listener, finishes what is in flight and exits. Errors are the answers the load saw fail ' +
      'in each window; 0 is what a rolling restart should give.',
  );
  lines.push('');
  const { sigterm } = result;
  if (sigterm.steps.length) {
    lines.push(
      table(
        ['process', 'SIGTERM → exit', 'exit', 'errors while draining', 'ready again after', 'errors until ready'],
        ['l', 'r', 'l', 'r', 'r', 'r'],
        sigterm.steps.map((step) => [
          step.process,
          `${step.exitSeconds.toFixed(2)} s`,
          step.exit,
          countCell(step.drainErrors),
          step.readySeconds === null ? 'not ready' : `${step.readySeconds.toFixed(1)} s`,
          countCell(step.restartErrors),
        ]),
      ),
    );
    lines.push('');
  }
  if (sigterm.load) {
    const load = sigterm.load;
    lines.push(
      `The load over the whole phase (${load.seconds.toFixed(0)} s, drains and restarts included): ${rps(load.rps)} req/s, ` +
        `p50 ${ms(load.latencyMs.p50)} ms, p99 ${ms(load.latencyMs.p99)} ms, ${errorCell(sigterm.load)} errors.`,
    );
  }
  if (sigterm.error) lines.push('', `**Stopped early**: ${sigterm.error}`);
  const firstErrors = sigterm.steps.filter((step) => step.firstError);
  if (firstErrors.length) {
    lines.push('', 'First failed answer in each window that had one:', '');
    for (const step of firstErrors) lines.push(`- ${step.process}: ${step.firstError}`);
  }
  return lines;
}

/** The one line the bench prints about the replicas on stdout. */
export function replicasLine(result: ReplicasResult): string {
  if (result.error) return `replicas: not run: ${result.error}`;
  const side = (run: ReplicaRun) =>
    run.load
      ? `${run.replicas} replica${run.replicas === 1 ? '' : 's'} ${rps(run.load.rps)} req/s, p99 ${ms(run.load.latencyMs.p99)} ms`
      : `${run.replicas} replica${run.replicas === 1 ? '' : 's'} not run`;
  const pair = replicaPair(result);
  const ratio = pair && pair.one.load.rps > 0 ? ` (${times(pair.many.load.rps / pair.one.load.rps)} the req/s)` : '';
  const steps = result.sigterm.steps;
  const exits = steps.map((step) => `${step.service} ${step.exitSeconds.toFixed(1)} s`).join(', ');
  const drainErrors = steps.reduce((sum, step) => sum + step.drainErrors, 0);
  const restartErrors = steps.reduce((sum, step) => sum + step.restartErrors, 0);
  return (
    `replicas: four-subgraph query, ${result.runs.map(side).join(' vs ')}${ratio}; ` +
    (steps.length ? `SIGTERM→exit under load: ${exits}; ${drainErrors} errors while draining, ${restartErrors} until ready again` : 'SIGTERM phase not run') +
    (result.sigterm.error ? `; stopped early: ${result.sigterm.error}` : '')
  );
}

/** Whether the replicas part answered cleanly: both loads, and no failed answer during the SIGTERM phase. */
export function replicasPassed(result: ReplicasResult): boolean {
  if (result.error || result.sigterm.error || !result.sigterm.load || loadErrors(result.sigterm.load) > 0) return false;
  if (result.sigterm.steps.some((step) => step.drainErrors + step.restartErrors > 0 || step.readySeconds === null)) return false;
  return result.runs.every((run) => !run.error && run.load && loadErrors(run.load) === 0);
}

/** Whether the bench passed: every run answered cleanly and every target that ran passed. */
export function benchPassed(report: BenchReport): boolean {
  return (
    report.runs.every((run) => !run.error && (!run.load || loadErrors(run.load) === 0)) &&
    report.targets.every((t) => t.status !== 'fail') &&
    (!report.replicas || replicasPassed(report.replicas))
  );
}
