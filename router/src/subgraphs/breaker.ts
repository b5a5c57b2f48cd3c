/** A breaker's state, as the `router_subgraph_breaker_state` gauge gives it. */
export const BreakerState = { closed: 0, halfOpen: 1, open: 2 } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export const BREAKER_STATE_NAMES: Readonly<Record<BreakerState, string>> = { 0: 'closed', 1: 'half-open', 2: 'open' };

export interface BreakerOptions {
  /** Consecutive failures (or timeouts) that open the breaker. */
  failures: number;
  /** How long it stays open before it lets one probe fetch through (half-open), ms. */
  openMs: number;
}

/** Never opens: for a replica set built without breaker options. */
export const NO_BREAKER: BreakerOptions = { failures: Number.POSITIVE_INFINITY, openMs: 0 };

/**
 * The circuit breaker of one subgraph replica, in this router process's memory. Pure logic: the
 * clock is passed in, nothing is scheduled, and `onChange` is told of every transition.
 *
 * - closed: fetches go through; `failures` consecutive failures open it.
 * - open: no fetch goes through until `openMs` have passed; then it is half-open (noticed when
 *   it is next asked, by `admits` or `stateAt`: no timer runs for it).
 * - half-open: one fetch at a time goes through, the probe. Its success closes the breaker, its
 *   failure opens it again for another `openMs`; a probe abandoned without a verdict (the
 *   client's request ran out of time) lets the next fetch probe instead.
 *
 * Hot path: `admits` on a closed breaker reads one field, and `succeeded` on a closed breaker with
 * no failures writes none.
 */
export class Breaker {
  state: BreakerState = BreakerState.closed;
  /** Consecutive failures since the last success. */
  consecutiveFailures = 0;
  /** When it last opened (the caller's clock, ms). */
  openedAt = 0;
  /** Whether the half-open probe is out. */
  probing = false;

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange?: (breaker: Breaker, from: BreakerState) => void,
  ) {}

  /**
   * Whether a fetch may go to the replica now. When it may only as the half-open probe, this
   * takes the probe's slot: the caller must then send the fetch and report how it went
   * (`succeeded`, `failed` or `abandoned`).
   */
  admits(now: number): boolean {
    if (this.state === BreakerState.closed) return true;
    if (this.stateAt(now) === BreakerState.open || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** The state now: an open breaker whose time is up turns half-open here. */
  stateAt(now: number): BreakerState {
    if (this.state === BreakerState.open && now - this.openedAt >= this.options.openMs) this.move(BreakerState.halfOpen);
    return this.state;
  }

  /** The replica answered. */
  succeeded(): void {
    this.consecutiveFailures = 0;
    if (this.state === BreakerState.closed) return;
    // Also from open: a fetch sent before it opened answered after all.
    this.probing = false;
    this.move(BreakerState.closed);
  }

  /** The replica failed (refused, timed out, reset, or an unavailable answer). */
  failed(now: number): void {
    this.consecutiveFailures += 1;
    if (this.state === BreakerState.halfOpen) {
      this.probing = false;
      this.open(now);
    } else if (this.state === BreakerState.closed && this.consecutiveFailures >= this.options.failures) {
      this.open(now);
    }
    // Already open: a fetch sent before it opened failed too; the open time runs on.
  }

  /** A fetch given by `admits` ended without a verdict on the replica: a half-open probe's slot is free again. */
  abandoned(): void {
    this.probing = false;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.move(BreakerState.open);
  }

  private move(to: BreakerState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.onChange?.(this, from);
  }
}
