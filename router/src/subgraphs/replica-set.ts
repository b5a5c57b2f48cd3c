import { Breaker, BreakerState, NO_BREAKER, type BreakerOptions } from './breaker';

/** One replica of a subgraph, as the rotation sees it. */
export class Replica<T> {
  /** Whether fetches are sent to it in rotation. */
  inRotation = true;
  /** When it last failed (the set's clock, ms); 0 when it never has. */
  failedAt = 0;
  /**
   * How many times it has failed. A fetch notes it when it starts: only a success of a fetch
   * started after the last failure brings the replica back (a fetch that was already in flight
   * when a draining replica said so may still complete).
   */
  failures = 0;
  probeTimer: NodeJS.Timeout | null = null;
  /** Its circuit breaker: while open, it gets no fetch at all, in rotation or not. */
  readonly breaker: Breaker;

  constructor(
    readonly target: T,
    readonly index: number,
    breaker: BreakerOptions,
    onBreakerChange?: (replica: Replica<T>, from: BreakerState) => void,
  ) {
    this.breaker = new Breaker(breaker, onBreakerChange ? (_, from) => onBreakerChange(this, from) : undefined);
  }
}

/** What a failure does to the replica: whether it leaves the rotation, whether it counts towards opening its breaker. */
export interface FailureEffect {
  leavesRotation: boolean;
  countsForBreaker: boolean;
}

const LEAVES_AND_COUNTS: FailureEffect = { leavesRotation: true, countsForBreaker: true };

export interface ReplicaSetOptions<T> {
  /** Asks a replica out of rotation whether it answers again: resolves true when it does. Never throws into the set (a throw counts as no). */
  probe: (target: T) => Promise<boolean>;
  /** Wait before each probe of a replica out of rotation, chosen at random in [min, max) ms. */
  probeIntervalMs?: { min: number; max: number };
  /** The clock `failedAt` is read from. */
  now?: () => number;
  /** Called when a replica leaves or rejoins the rotation (after `inRotation` counts it). */
  onChange?: (replica: Replica<T>) => void;
  /** Each replica's circuit breaker; without it, breakers never open. */
  breaker?: BreakerOptions;
  /** Called on each breaker transition (after `replica.breaker.state` says the new state). */
  onBreakerChange?: (replica: Replica<T>, from: BreakerState) => void;
}

const DEFAULT_PROBE_INTERVAL_MS = { min: 500, max: 1_000 };

/**
 * The replicas of one subgraph, taken in rotation. A replica that refused a connection, timed
 * out or answered draining leaves the rotation (`failed`) and is probed in the background until
 * it answers again, or until a fetch sent to it anyway succeeds (`succeeded`); nothing waits on a
 * probe. When no replica is in rotation, `pick` still gives one: the least recently failed.
 * No I/O of its own: the probe is the caller's.
 *
 * Each replica also has a circuit breaker (breaker.ts), which the rotation defers to: a replica
 * whose breaker is open gets no fetch, neither in rotation nor as the least recently failed. So
 * the fallback to a replica out of rotation is kept for a subgraph that is only briefly down
 * (a restart: the next fetch may find it back), and ends once its failures have opened the
 * breakers: when every replica's breaker is open, `pick` gives none and the caller fails the
 * fetch at once (SERVICE_UNAVAILABLE) instead of waiting on a replica that is known to hang.
 * The exception is the half-open probe: a replica whose breaker has been open long enough gets
 * one fetch at a time, in rotation or not, and its answer closes the breaker (and brings the
 * replica back into rotation) or opens it again. The background /health/ready probe only
 * decides the rotation; it never closes a breaker, since a replica may answer its health check
 * and still hang on GraphQL.
 */
export class ReplicaSet<T> {
  readonly replicas: ReadonlyArray<Replica<T>>;
  private next = 0;
  private inRotationCount: number;
  private stopped = false;
  private readonly now: () => number;
  private readonly probeIntervalMs: { min: number; max: number };

  constructor(
    targets: readonly T[],
    private readonly options: ReplicaSetOptions<T>,
  ) {
    if (targets.length === 0) throw new Error('A replica set needs at least one replica.');
    const breaker = options.breaker ?? NO_BREAKER;
    this.replicas = targets.map((target, index) => new Replica(target, index, breaker, options.onBreakerChange));
    this.inRotationCount = this.replicas.length;
    this.now = options.now ?? Date.now;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  }

  /** How many replicas are in rotation now. */
  get inRotation(): number {
    return this.inRotationCount;
  }

  /**
   * The next replica in rotation, with its breaker admitting fetches, other than `other` (the one
   * a fetch already tried); when none is, the least recently failed replica other than `other`
   * whose breaker admits fetches. Null when there is no such replica: every other replica's
   * breaker is open (or half-open with its probe out), or there is no other replica at all.
   * A replica given while its breaker is half-open carries the probe: the caller must report
   * the fetch (`succeeded`, `failed` or `abandoned`).
   */
  pick(other: Replica<T> | null = null): Replica<T> | null {
    const { replicas } = this;
    const count = replicas.length;
    // The clock is read only when a breaker is not closed.
    let now = -1;
    if (this.inRotationCount > 0) {
      for (let i = 0; i < count; i++) {
        const replica = replicas[(this.next + i) % count]!;
        if (!replica.inRotation || replica === other) continue;
        const { breaker } = replica;
        if (breaker.state !== BreakerState.closed && !breaker.admits(now < 0 ? (now = this.now()) : now)) continue;
        this.next = replica.index + 1 === count ? 0 : replica.index + 1;
        return replica;
      }
    }
    // No replica in rotation admits fetches: the least recently failed of those whose breaker does.
    let best: Replica<T> | null = null;
    for (const replica of replicas) {
      if (replica === other || (best !== null && replica.failedAt >= best.failedAt)) continue;
      if (replica.breaker.state !== BreakerState.closed && replica.breaker.stateAt(now < 0 ? (now = this.now()) : now) === BreakerState.open) continue;
      if (replica.breaker.state === BreakerState.halfOpen && replica.breaker.probing) continue;
      best = replica;
    }
    // Its half-open probe slot, when it has one, is taken only now that it is chosen.
    if (best && best.breaker.state !== BreakerState.closed) best.breaker.admits(now);
    return best;
  }

  /**
   * A fetch to the replica failed. By default (refused, timed out, draining) it leaves the
   * rotation and the failure counts towards opening its breaker; `effect` says otherwise.
   */
  failed(replica: Replica<T>, effect: FailureEffect = LEAVES_AND_COUNTS): void {
    if (effect.countsForBreaker) replica.breaker.failed(this.now());
    if (effect.leavesRotation) this.leave(replica);
  }

  /** A fetch given by `pick` ended without a verdict on the replica (the client's deadline came first). */
  abandoned(replica: Replica<T>): void {
    replica.breaker.abandoned();
  }

  /** Out of rotation, probed until it answers again. */
  private leave(replica: Replica<T>): void {
    replica.failedAt = this.now();
    replica.failures += 1;
    if (!replica.inRotation) return;
    replica.inRotation = false;
    this.inRotationCount -= 1;
    this.options.onChange?.(replica);
    this.scheduleProbe(replica);
  }

  /**
   * A fetch the replica answered; `failuresAtStart` is `replica.failures` when it was sent. A
   * replica out of rotation comes back when the fetch was sent after its last failure.
   */
  succeeded(replica: Replica<T>, failuresAtStart: number): void {
    replica.breaker.succeeded();
    if (!replica.inRotation && failuresAtStart === replica.failures) this.rejoin(replica);
  }

  /** Stops probing; the set still picks, but nothing rejoins the rotation through a probe any more. */
  stop(): void {
    this.stopped = true;
    for (const replica of this.replicas) {
      if (replica.probeTimer) clearTimeout(replica.probeTimer);
      replica.probeTimer = null;
    }
  }

  private rejoin(replica: Replica<T>): void {
    replica.inRotation = true;
    this.inRotationCount += 1;
    if (replica.probeTimer) clearTimeout(replica.probeTimer);
    replica.probeTimer = null;
    this.options.onChange?.(replica);
  }

  private scheduleProbe(replica: Replica<T>): void {
    if (this.stopped || replica.inRotation || replica.probeTimer) return;
    const { min, max } = this.probeIntervalMs;
    replica.probeTimer = setTimeout(
      () => {
        replica.probeTimer = null;
        void this.runProbe(replica);
      },
      min + Math.random() * (max - min),
    );
    replica.probeTimer.unref();
  }

  private async runProbe(replica: Replica<T>): Promise<void> {
    if (this.stopped || replica.inRotation) return;
    const failures = replica.failures;
    let answered: boolean;
    try {
      answered = await this.options.probe(replica.target);
    } catch {
      answered = false;
    }
    if (this.stopped || replica.inRotation) return;
    // A fetch that failed while the probe was out has the last word: probe again.
    if (answered && failures === replica.failures) this.rejoin(replica);
    else this.scheduleProbe(replica);
  }
}
