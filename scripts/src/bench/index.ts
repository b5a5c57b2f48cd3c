import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { BENCH_PASSWORD, benchUserEmail } from '@shop/user-subgraph';
import { runCli } from '../cli';
import { closeDatabases } from '../db/databases';
import { REPO_ROOT } from '../paths';
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from './args';
import { bigCartLinesFor, prepareDataset, sampleSkus, waitForEventBacklog } from './dataset';
import { diffHostCpu, readHostCpu } from './host-cpu';
import { answerProblem, loadErrors, routerPlan, runLoad, sendOne, signedPlan, type RequestPlan } from './load';
import { diffSnapshots, readSnapshot, totalOf, type Snapshot } from './metrics';
import { OPERATIONS, type Operation } from './operations';
import { startReplicaStack, REPLICA_DRAIN_SECONDS, type ReplicaStack } from './replica-stack';
import { loadFrontDoor, sigtermUnderLoad } from './replicas';
import { benchPassed, formatMarkdown, replicasLine } from './report';
import { cacheHitRatio, sqlPerRequest, type BenchReport, type ReplicasResult, type RunResult, type Via } from './results';
import { bumpCacheGenerations, choosePorts, generateJwtKeys, startBenchStack, type BenchSetup, type BenchStack, type ServiceName } from './stack';
import { evaluateTargets } from './targets';

/** Users whose tokens rotate per request (bench-user-2 …), so no single user is the only hot key. */
const ROTATING_USERS = 50;
const ROTATING_SKUS = 200;
/** Running subgraphs re-read the cache generation every second (CacheGeneration's refreshMs). */
const GENERATION_REFRESH_MS = 1_500;

const say = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Callers {
  rotating: string[];
  bigCart: string;
}

const LOG_IN = 'mutation BenchLogIn($email: String!, $password: String!) { logIn(input: { email: $email, password: $password }) { accessToken } }';

async function logIn(routerUrl: string, email: string): Promise<string> {
  const plan = routerPlan(routerUrl, [JSON.stringify({ query: LOG_IN, variables: { email, password: BENCH_PASSWORD } })], [null]);
  const answer = await sendOne(plan);
  const problem = answerProblem(answer);
  if (problem) throw new Error(`logIn as ${email} failed: ${problem}`);
  return answer.body.data.logIn.accessToken as string;
}

async function logInCallers(routerUrl: string, users: number): Promise<Callers> {
  const numbers = users === 1 ? [1] : Array.from({ length: Math.min(ROTATING_USERS, users - 1) }, (_, i) => i + 2);
  const rotating: string[] = [];
  // Two at a time: each logIn is a scrypt on the user subgraph's two cores.
  for (let i = 0; i < numbers.length; i += 2) rotating.push(...(await Promise.all(numbers.slice(i, i + 2).map((n) => logIn(routerUrl, benchUserEmail(n))))));
  return { rotating, bigCart: await logIn(routerUrl, benchUserEmail(1)) };
}

function bodiesOf(operation: Operation, skus: string[]): string[] {
  if (!operation.rotatesSku) return [JSON.stringify({ query: operation.query })];
  return skus.map((sku) => JSON.stringify({ query: operation.query, variables: { sku } }));
}

function planFor(operation: Operation, via: Via, stack: BenchStack, setup: BenchSetup, callers: Callers, skus: string[]): RequestPlan {
  const bodies = bodiesOf(operation, skus);
  if (via === 'product subgraph') return signedPlan(stack.subgraphUrls.product, 'product', bodies, setup.signingSecret);
  const tokens = operation.caller === 'anonymous' ? [null] : operation.caller === 'big-cart-user' ? [callers.bigCart] : callers.rotating;
  return routerPlan(stack.routerUrl, bodies, tokens);
}

/** Counter deltas around one request. */
async function measureOne(stack: BenchStack, plan: RequestPlan): Promise<{ snapshot: Snapshot<ServiceName>; problem: string | null }> {
  const before = await readSnapshot(stack.metricsUrls);
  const answer = await sendOne(plan);
  const after = await readSnapshot(stack.metricsUrls);
  return { snapshot: diffSnapshots(before, after), problem: answerProblem(answer) };
}

/**
 * Requests still in flight when autocannon stops are finished by the services afterwards;
 * the counters are read once no service has answered anything new for a while.
 */
async function settled(stack: BenchStack): Promise<Snapshot<ServiceName>> {
  const deadline = Date.now() + 10_000;
  let last = await readSnapshot(stack.metricsUrls);
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(150);
    const now = await readSnapshot(stack.metricsUrls);
    quiet = totalOf(now).requests === totalOf(last).requests ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

const totalSql = (snapshot: Snapshot) => Object.values(snapshot).reduce((sum, c) => sum + c.sqlStatements, 0);

async function runOne(
  context: { options: BenchOptions; setup: BenchSetup; stack: BenchStack; callers: Callers; skus: string[]; bigCartLines: number; round: number },
  operation: Operation,
  via: Via,
  label: string,
): Promise<RunResult> {
  const { options, setup, stack, callers, skus, round } = context;
  const cache = stack.cacheEnabled;
  const result: RunResult = { operation: operation.id, title: operation.title, via, cache, round };
  const plan = planFor(operation, via, stack, setup, callers, skus);

  const verification = await sendOne(plan);
  const problem = answerProblem(verification) ?? operation.check(verification.body.data, options.dataset, context.bigCartLines);
  if (problem) {
    say(`${label}: the verification request failed (${problem}); skipping its load`);
    return { ...result, error: problem };
  }

  if (cache) {
    await bumpCacheGenerations(setup.baseEnv.REDIS_URL, setup.prefix);
    await sleep(GENERATION_REFRESH_MS);
  }
  const cold = await measureOne(stack, plan);
  result.cold = cold.snapshot;
  if (cold.problem) return { ...result, error: cold.problem };
  if (cache) result.warm = (await measureOne(stack, plan)).snapshot;

  if (options.warmup > 0) {
    await runLoad(plan, { connections: options.connections, seconds: options.warmup }, stack.crashed);
    await settled(stack);
  }
  const before = await readSnapshot(stack.metricsUrls);
  const cpuBefore = readHostCpu();
  result.load = await runLoad(plan, { connections: options.connections, seconds: options.duration }, stack.crashed);
  result.counters = diffSnapshots(before, await settled(stack));
  result.hostCpu = diffHostCpu(cpuBefore, readHostCpu());

  const load = result.load;
  const hits = cacheHitRatio(result);
  say(
    `${label}: ${load.rps.toFixed(0)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p95 ${load.latencyMs.p95.toFixed(1)} ms, ` +
      `p99 ${load.latencyMs.p99.toFixed(1)} ms, ${loadErrors(load)} errors, ${sqlPerRequest(result)?.toFixed(2)} SQL/request` +
      `${hits === null ? '' : `, ${(hits * 100).toFixed(1)}% cache hits`}; one request: ${totalSql(result.cold)} statements cold` +
      `${result.warm ? `, ${totalSql(result.warm)} warm` : ''}`,
  );
  if (loadErrors(load) > 0) say(`${label}: first error: ${load.firstError}`);
  return result;
}

/**
 * The passes in the order they run: on, off, on, off… The machine's speed drifts over
 * minutes, so each round's on and off passes run back to back and are compared with each other.
 */
function passesOf(rounds: number): Array<{ round: number; cacheEnabled: boolean }> {
  return Array.from({ length: rounds }, (_, i) => [true, false].map((cacheEnabled) => ({ round: i + 1, cacheEnabled }))).flat();
}

/** "cache on", or "round 2/3, cache on" when there are several rounds. */
function passLabel(round: number, rounds: number, cacheEnabled: boolean): string {
  return `${rounds > 1 ? `round ${round}/${rounds}, ` : ''}cache ${cacheEnabled ? 'on' : 'off'}`;
}

/**
 * --replicas: the four-subgraph query on the one-replica stack (the router is the front door),
 * then on N replicas of everything behind HAProxy, each loaded as one run; then, on the same
 * N-replica stack, SIGTERM to one replica of each service in turn under that load.
 */
async function compareReplicas(
  options: BenchOptions,
  count: number,
  setup: BenchSetup,
  context: {
    bigCartLines: number;
    log: (text: string) => void;
    logPath: string;
    firstStackUp: (routerUrl: string, crashed: Promise<never>) => Promise<Callers>;
    setCurrent: (stack: Pick<BenchStack, 'stop'> | undefined) => void;
  },
): Promise<ReplicasResult> {
  const operation = OPERATIONS.find((op) => op.id === 'four-subgraphs')!;
  const result: ReplicasResult = { replicas: count, operation: operation.id, drainSeconds: REPLICA_DRAIN_SECONDS, runs: [], sigterm: { steps: [] } };
  const run = { options, operation, bigCartLines: context.bigCartLines, say };
  const bodies = bodiesOf(operation, []);

  await bumpCacheGenerations(process.env.REDIS_URL, options.prefix);
  say(`[replicas 1/2] starting one process of each service; logs in ${relative(process.cwd(), context.logPath)}`);
  const one = await startBenchStack(setup, true, context.log);
  context.setCurrent(one);
  try {
    const callers = await context.firstStackUp(one.routerUrl, one.crashed);
    const plan = routerPlan(one.routerUrl, bodies, callers.rotating);
    result.runs.push(
      await loadFrontDoor(run, { replicas: 1, frontDoor: 'router' }, plan, one.crashed, `[replicas 1/2] ${operation.title}, 1 replica, via the router`),
    );
  } finally {
    await one.stop();
    context.setCurrent(undefined);
  }

  await bumpCacheGenerations(process.env.REDIS_URL, options.prefix);
  say(`[replicas 2/2] starting ${count} replicas of every subgraph and router, and HAProxy in front of the routers`);
  let many: ReplicaStack;
  try {
    many = await startReplicaStack(setup, count, context.log);
  } catch (error) {
    say(`[replicas 2/2] ${(error as Error).message}`);
    return { ...result, error: (error as Error).message };
  }
  context.setCurrent(many);
  try {
    const callers = await context.firstStackUp(many.frontDoorUrl, many.crashed);
    const plan = routerPlan(many.frontDoorUrl, bodies, callers.rotating);
    result.runs.push(
      await loadFrontDoor(
        run,
        { replicas: count, frontDoor: 'HAProxy' },
        plan,
        many.crashed,
        `[replicas 2/2] ${operation.title}, ${count} replicas, via HAProxy`,
      ),
    );
    say(`[replicas SIGTERM] with SHUTDOWN_DRAIN_SECONDS=${REPLICA_DRAIN_SECONDS}, one replica of each service in turn, under the same load`);
    result.sigterm = await sigtermUnderLoad(many, plan, run);
  } finally {
    await many.stop();
    context.setCurrent(undefined);
  }
  return result;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

runCli(async () => {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const started = new Date();
  const startLoad = loadavg()[0]!;
  if (startLoad > cpus().length / 2) {
    say(`note: the machine is busy (1-minute load average ${startLoad.toFixed(1)} on ${cpus().length} CPUs); throughput will be lower and noisier`);
  }
  const stamp = started
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const outDir = resolve(REPO_ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const logPath = join(outDir, `${stamp}.services.log`);
  const serviceLog = createWriteStream(logPath);

  const secretsDir = mkdtempSync(join(tmpdir(), 'shop-bench-secrets-'));
  const setup: BenchSetup = {
    ports: await choosePorts(options.basePort),
    prefix: options.prefix,
    signingSecret: randomBytes(32).toString('hex'),
    jwtPrivateKeys: generateJwtKeys(),
    secretsDir,
    baseEnv: process.env,
  };

  let current: Pick<BenchStack, 'stop'> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the bench stack`);
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const dataset = await prepareDataset(process.env, options.prefix, options.dataset, options.fresh, say);
  let databasesOpen = true;
  const closeDataset = async () => {
    if (databasesOpen) await closeDatabases(dataset.databases);
    databasesOpen = false;
  };
  const runs: RunResult[] = [];
  let replicas: ReplicasResult | undefined;
  let eventDrainSeconds = 0;
  let eventsApplied = false;
  let rotationUsers = 0;
  try {
    const skus = await sampleSkus(dataset.dbs, ROTATING_SKUS);
    // With --replicas, only what --only names besides the replicas comparison.
    const operations = OPERATIONS.filter((op) => (options.only.length === 0 ? options.replicas === undefined : options.only.includes(op.id)));
    const perPass = operations.reduce((n, op) => n + (op.direct ? 2 : 1), 0);
    const bigCartLines = bigCartLinesFor(options.dataset);
    let callers: Callers | undefined;

    /** On the first stack up: the dataset's events applied, then the bench users signed in, once each. */
    const firstStackUp = async (routerUrl: string, crashed: Promise<never>): Promise<Callers> => {
      if (!eventsApplied) {
        eventDrainSeconds = await waitForEventBacklog(dataset.dbs, say, crashed);
        if (eventDrainSeconds > 1) say(`seeded product events applied in ${eventDrainSeconds.toFixed(0)} s`);
        eventsApplied = true;
        // Only the services use Postgres from here on.
        await closeDataset();
      }
      if (!callers) {
        callers = await logInCallers(routerUrl, options.dataset.users);
        rotationUsers = callers.rotating.length;
        say(`signed in ${callers.rotating.length + 1} bench users through the router`);
      }
      return callers;
    };

    for (const { round, cacheEnabled } of operations.length > 0 ? passesOf(options.rounds) : []) {
      const pass = passLabel(round, options.rounds, cacheEnabled);
      // A clean cache at start: also orphans entries left by an earlier dataset.
      await bumpCacheGenerations(process.env.REDIS_URL, options.prefix);
      say(
        `starting the stack (${pass}) on ports ${Object.entries(setup.ports)
          .map(([name, port]) => `${name} ${port}`)
          .join(', ')}; logs in ${relative(process.cwd(), logPath)}`,
      );
      const stack = await startBenchStack(setup, cacheEnabled, (text) => serviceLog.write(text));
      current = stack;
      try {
        // The first stack waits for the dataset's events to be applied (they stay applied) and signs the users in.
        const signedIn = await firstStackUp(stack.routerUrl, stack.crashed);
        let index = 0;
        for (const operation of operations) {
          for (const via of operation.direct ? (['router', 'product subgraph'] as const) : (['router'] as const)) {
            index += 1;
            const label = `[${pass} ${index}/${perPass}] ${operation.title} via ${via}`;
            say(`${label}: ${options.warmup > 0 ? `${options.warmup} s warm-up, ` : ''}${options.duration} s…`);
            runs.push(await runOne({ options, setup, stack, callers: signedIn, skus, bigCartLines, round }, operation, via, label));
          }
        }
      } finally {
        await stack.stop();
        current = undefined;
      }
    }

    if (options.replicas !== undefined) {
      replicas = await compareReplicas(options, options.replicas, setup, {
        bigCartLines,
        log: (text) => serviceLog.write(text),
        logPath,
        firstStackUp,
        setCurrent: (stack) => {
          current = stack;
        },
      });
    }
  } finally {
    await closeDataset();
    rmSync(secretsDir, { recursive: true, force: true });
    await new Promise((resolveEnd) => serviceLog.end(resolveEnd));
  }

  const finished = new Date();
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    commit: gitCommit(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      platform: `${process.platform} ${process.arch}`,
      loadAverage: { atStart: startLoad, atEnd: loadavg()[0]! },
    },
    options: { duration: options.duration, warmup: options.warmup, connections: options.connections, rounds: options.rounds, prefix: options.prefix },
    dataset: {
      products: dataset.counts.products,
      users: dataset.counts.users,
      orders: dataset.counts.orders,
      cartLines: options.dataset.cartLines,
      orderLines: options.dataset.linesPerOrder,
      bigCartLines: dataset.counts.bigCartLines,
      seeded: dataset.seeded,
      seedSeconds: dataset.seedSeconds,
      eventDrainSeconds,
    },
    rotation: { users: rotationUsers, skus: Math.min(ROTATING_SKUS, dataset.counts.products) },
    totalSeconds: (finished.getTime() - started.getTime()) / 1000,
    runs,
    targets: evaluateTargets(runs),
    ...(replicas ? { replicas } : {}),
  };
  const markdown = formatMarkdown(report);
  const jsonPath = join(outDir, `${stamp}.json`);
  const mdPath = join(outDir, `${stamp}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(mdPath, markdown);
  process.stdout.write(`\n${markdown}\n`);
  if (replicas) process.stdout.write(`${replicasLine(replicas)}\n`);
  const passed = benchPassed(report);
  say(
    `results: ${relative(process.cwd(), jsonPath)}, ${relative(process.cwd(), mdPath)}; ` +
      (passed ? (runs.length > 0 ? 'all targets met' : 'every load answered cleanly') : 'a target failed or an operation answered with errors'),
  );
  return passed ? 0 : 1;
});
