import { SUBGRAPH_NAMES } from '../subgraphs';
import { describeExit } from '../start/supervisor';
import type { BenchOptions } from './args';
import { answerProblem, loadErrors, runLoad, sendOne, type LoadResult, type RequestPlan } from './load';
import type { Operation } from './operations';
import type { ReplicaStack } from './replica-stack';
import type { ReplicaRun, SigtermStep } from './results';
import type { ServiceName } from './stack';

/** The order the SIGTERM phase goes through the services, one replica of each. */
export const SIGTERM_ORDER: readonly ServiceName[] = ['router', ...SUBGRAPH_NAMES];

/**
 * Load between two SIGTERMs, and before the first: HAProxy takes a router back after two
 * checks 500 ms apart, a router a subgraph replica after a background probe every 0.5 to 1 s.
 */
export const SIGTERM_SETTLE_SECONDS = 2;

/** The longest the SIGTERM phase's load may run: five shutdown budgets and five start-ups fit well inside. */
const SIGTERM_LOAD_MAX_SECONDS = 900;
/** Failed answers kept whole, to name each window's first. */
const KEPT_ERRORS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FrontDoorLoad {
  options: Pick<BenchOptions, 'connections' | 'duration' | 'warmup' | 'dataset'>;
  operation: Operation;
  bigCartLines: number;
  say: (text: string) => void;
}

const summary = (load: LoadResult) =>
  `${load.rps.toFixed(0)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, ${loadErrors(load)} errors`;

/** One side of the comparison: a clean verification request, the warm-up, then --duration seconds of load. */
export async function loadFrontDoor(
  run: FrontDoorLoad,
  side: Pick<ReplicaRun, 'replicas' | 'frontDoor'>,
  plan: RequestPlan,
  crashed: Promise<never>,
  label: string,
): Promise<ReplicaRun> {
  const { options, operation, say } = run;
  const verification = await sendOne(plan);
  const problem = answerProblem(verification) ?? operation.check(verification.body.data, options.dataset, run.bigCartLines);
  if (problem) {
    say(`${label}: the verification request failed (${problem}); skipping its load`);
    return { ...side, error: problem };
  }
  say(`${label}: ${options.warmup > 0 ? `${options.warmup} s warm-up, ` : ''}${options.duration} s…`);
  if (options.warmup > 0) await runLoad(plan, { connections: options.connections, seconds: options.warmup }, crashed);
  const load = await runLoad(plan, { connections: options.connections, seconds: options.duration }, crashed);
  say(`${label}: ${summary(load)}`);
  if (loadErrors(load) > 0) say(`${label}: first error: ${load.firstError}`);
  return { ...side, load };
}

/**
 * While the load runs through HAProxy, each service in SIGTERM_ORDER in turn: SIGTERM to its
 * replica 0, the time to its exit, then the same process started again and waited for until
 * /health/ready answers 200, then SIGTERM_SETTLE_SECONDS of load before the next. The failed
 * answers are counted by when they arrived: between the SIGTERM and the exit (while it drained),
 * and from the exit until it was ready again.
 */
export async function sigtermUnderLoad(
  stack: ReplicaStack,
  plan: RequestPlan,
  run: Pick<FrontDoorLoad, 'options' | 'say'>,
): Promise<{ load?: LoadResult; steps: SigtermStep[]; error?: string }> {
  const { options, say } = run;
  const steps: SigtermStep[] = [];
  let errors = 0;
  const kept: string[] = [];
  let finish: () => void = () => undefined;
  const until = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const loading = runLoad(
    plan,
    {
      connections: options.connections,
      seconds: SIGTERM_LOAD_MAX_SECONDS,
      until,
      onError: (text) => {
        errors += 1;
        if (kept.length < KEPT_ERRORS) kept.push(text);
      },
    },
    stack.crashed,
  );
  // A crash rejects the load at once; every step below races it, so it is not left unhandled meanwhile.
  loading.catch(() => undefined);
  const orStop = <T>(step: Promise<T>) => Promise.race([step, loading.then(() => Promise.reject(new Error('the load stopped early')))]);
  let error: string | undefined;
  try {
    await orStop(sleep(Math.max(options.warmup, SIGTERM_SETTLE_SECONDS) * 1000));
    for (const service of SIGTERM_ORDER) {
      const target = stack.processes.find((p) => p.service === service && p.replica === 0)!;
      const atSigterm = errors;
      say(`[replicas SIGTERM] ${target.name} (pid ${target.running.child.pid ?? '?'})…`);
      const termination = await orStop(stack.terminate(target));
      const atExit = errors;
      let readySeconds: number | null = null;
      try {
        readySeconds = await orStop(stack.startAgain(target));
      } catch (failure) {
        error = `${target.name} did not start again: ${(failure as Error).message}`;
      }
      const step: SigtermStep = {
        process: target.name,
        service,
        exitSeconds: termination.seconds,
        exit: describeExit(termination.exit),
        drainErrors: atExit - atSigterm,
        readySeconds,
        restartErrors: errors - atExit,
        firstError: kept[atSigterm],
      };
      steps.push(step);
      say(
        `[replicas SIGTERM] ${target.name}: exited after ${step.exitSeconds.toFixed(2)} s (${step.exit}), ${step.drainErrors} errors meanwhile; ` +
          (readySeconds === null ? 'not ready again' : `ready again ${readySeconds.toFixed(1)} s later, ${step.restartErrors} errors meanwhile`),
      );
      if (step.firstError) say(`[replicas SIGTERM] ${target.name}: first error: ${step.firstError}`);
      if (error) break;
      await orStop(sleep(SIGTERM_SETTLE_SECONDS * 1000));
    }
  } catch (failure) {
    error ??= (failure as Error).message;
  } finally {
    finish();
  }
  try {
    const load = await loading;
    say(`[replicas SIGTERM] the load over the whole phase: ${summary(load)}`);
    return { load, steps, ...(error ? { error } : {}) };
  } catch (failure) {
    return { steps, error: error ?? (failure as Error).message };
  }
}
