import type { LoadResult } from './load';
import { hitRatio, totalOf, type Snapshot } from './metrics';
import type { OperationId } from './operations';
import type { HostCpu } from './host-cpu';
import type { ServiceName } from './stack';

export type Via = 'router' | 'product subgraph';

export interface RunResult {
  operation: OperationId;
  title: string;
  via: Via;
  cache: boolean;
  /** Which pair of passes (cache on, then off) it belongs to, from 1; see BenchOptions.rounds. */
  round: number;
  /** Set when the run was skipped because its verification request did not answer cleanly. */
  error?: string;
  load?: LoadResult;
  /** Counter deltas over the measured load. */
  counters?: Snapshot<ServiceName>;
  /** CPU seconds of Postgres, Redis and the load generator over the measured load. */
  hostCpu?: HostCpu;
  /** Single requests' counter deltas: cache on, the first just after the cache was emptied, then the same again; cache off, one. */
  cold?: Snapshot<ServiceName>;
  warm?: Snapshot<ServiceName>;
}

export interface TargetResult {
  id: 'a' | 'b' | 'c';
  name: string;
  status: 'pass' | 'fail' | 'not run';
  detail: string;
}

/** One side of the replicas comparison: the four-subgraph query through the stack's front door. */
export interface ReplicaRun {
  replicas: number;
  /** The router itself with one replica; HAProxy in front of the routers with more. */
  frontDoor: 'router' | 'HAProxy';
  load?: LoadResult;
  /** Set when the load did not run: its verification request did not answer cleanly. */
  error?: string;
}

/** One process sent SIGTERM while the load ran through HAProxy, then started again. */
export interface SigtermStep {
  /** router-0, product-0, … */
  process: string;
  service: ServiceName;
  /** From the SIGTERM to the process's exit. */
  exitSeconds: number;
  /** How it exited: "exit code 0", or "signal SIGKILL" when it outlived its shutdown budget. */
  exit: string;
  /** Failed answers the load saw between the SIGTERM and the exit. */
  drainErrors: number;
  /** From the exit until the process started again answered /health/ready with 200; null when it never did. */
  readySeconds: number | null;
  /** Failed answers the load saw from the exit until then. */
  restartErrors: number;
  /** The first failed answer of either window. */
  firstError?: string;
}

export interface ReplicasResult {
  replicas: number;
  operation: OperationId;
  /** SHUTDOWN_DRAIN_SECONDS of the replica stack. */
  drainSeconds: number;
  /** One replica, then `replicas`. */
  runs: ReplicaRun[];
  sigterm: {
    /** The load through HAProxy over the whole phase, drains and restarts included. */
    load?: LoadResult;
    steps: SigtermStep[];
    /** Set when the phase stopped early: why. */
    error?: string;
  };
  /** Set when the comparison could not run at all (HAProxy missing, a process did not start): why. */
  error?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  commit: string | null;
  /** loadAverage: the 1-minute load average; other work on the machine skews the numbers. */
  machine: { node: string; cpus: number; platform: string; loadAverage: { atStart: number; atEnd: number } };
  options: { duration: number; warmup: number; connections: number; rounds: number; prefix: string };
  dataset: {
    products: number;
    users: number;
    orders: number;
    cartLines: number;
    orderLines: number;
    bigCartLines: number;
    seeded: boolean;
    seedSeconds: number;
    eventDrainSeconds: number;
  };
  rotation: { users: number; skus: number };
  totalSeconds: number;
  runs: RunResult[];
  targets: TargetResult[];
  /** With --replicas: one replica beside N, and SIGTERM to exit under load. */
  replicas?: ReplicasResult;
}

/**
 * Requests served during the measured load: the router's count (the product subgraph's for
 * direct runs), which also covers the few autocannon stopped waiting for at the end.
 */
export function servedRequests(run: RunResult): number | null {
  if (!run.load || !run.counters) return null;
  const served = run.via === 'router' ? run.counters.router?.requests : run.counters.product?.requests;
  const count = served && served > 0 ? served : run.load.responses;
  return count > 0 ? count : null;
}

/** SQL statements per request over the measured load, all subgraphs together. */
export function sqlPerRequest(run: RunResult): number | null {
  const served = servedRequests(run);
  return served === null ? null : totalOf(run.counters!).sqlStatements / served;
}

/** CPU milliseconds per answered request, per service, over the measured load. */
export function cpuMsPerRequest(run: RunResult): Partial<Record<ServiceName | keyof HostCpu, number>> | null {
  const served = servedRequests(run);
  if (served === null) return null;
  const seconds: Array<[string, number]> = [
    ...Object.entries(run.counters!).map(([name, c]) => [name, c.cpuSeconds] as [string, number]),
    ...Object.entries(run.hostCpu ?? {}),
  ];
  return Object.fromEntries(seconds.map(([name, value]) => [name, (value * 1000) / served]));
}

export function cacheHitRatio(run: RunResult): number | null {
  return run.counters ? hitRatio(totalOf(run.counters)) : null;
}

/** The run of one operation, path and cache setting in one round (the first by default). */
export function findRun(runs: readonly RunResult[], operation: OperationId, via: Via, cache: boolean, round = 1): RunResult | undefined {
  return runs.find((run) => run.operation === operation && run.via === via && run.cache === cache && run.round === round);
}

/** The rounds the runs come from, in order: the ratio targets pair runs within each. */
export function roundsOf(runs: readonly RunResult[]): number[] {
  return [...new Set(runs.map((run) => run.round))].sort((a, b) => a - b);
}
