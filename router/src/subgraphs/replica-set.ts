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

  constructor(
    readonly target: T,
    readonly index: number,
  ) {}
}

export interface ReplicaSetOptions<T> {
  /** Asks a replica out of rotation whether it answers again: resolves true when it does. Never throws into the set (a throw counts as no). */
  probe: (target: T) => Promise<boolean>;
  /** Wait before each probe of a replica out of rotation, chosen at random in [min, max) ms. */
  probeIntervalMs?: { min: number; max: number };
  /** The clock `failedAt` is read from. */
  now?: () => number;
  /** Called when a replica leaves or rejoins the rotation (after `inRotation` counts it). */
  onChange?: (replica: Replica<T>) => void;
}

const DEFAULT_PROBE_INTERVAL_MS = { min: 500, max: 1_000 };

/**
 * The replicas of one subgraph, taken in rotation. A replica that refused a connection, timed
 * out or answered draining leaves the rotation (`failed`) and is probed in the background until
 * it answers again, or until a fetch sent to it anyway succeeds (`succeeded`); nothing waits on a
 * probe. When no replica is in rotation, `pick` still gives one: the least recently failed.
 * No I/O of its own: the probe is the caller's.
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
    this.replicas = targets.map((target, index) => new Replica(target, index));
    this.inRotationCount = this.replicas.length;
    this.now = options.now ?? Date.now;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  }

  /** How many replicas are in rotation now. */
  get inRotation(): number {
    return this.inRotationCount;
  }

  /**
   * The next replica in rotation other than `other` (the one a fetch already tried); when none
   * is, the least recently failed replica other than `other`. Null only when there is no other
   * replica at all.
   */
  pick(other: Replica<T> | null = null): Replica<T> | null {
    const { replicas } = this;
    const count = replicas.length;
    if (this.inRotationCount > 0) {
      for (let i = 0; i < count; i++) {
        const replica = replicas[(this.next + i) % count]!;
        if (replica.inRotation && replica !== other) {
          this.next = replica.index + 1 === count ? 0 : replica.index + 1;
          return replica;
        }
      }
    }
    let best: Replica<T> | null = null;
    for (const replica of replicas) {
      if (replica !== other && (best === null || replica.failedAt < best.failedAt)) best = replica;
    }
    return best;
  }

  /** The replica refused a connection, timed out or answered draining: out of rotation, probed until it answers again. */
  failed(replica: Replica<T>): void {
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
