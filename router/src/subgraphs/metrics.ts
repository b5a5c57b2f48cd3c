import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerState } from './breaker';
import type { FetchFailure } from './retry-policy';

export interface SubgraphMetrics {
  /** A fetch that failed with `failure` is sent again, to another replica. */
  retried(subgraph: string, failure: FetchFailure): void;
}

/**
 * `router_subgraph_retries_total{subgraph,reason}`, `router_subgraph_replicas_in_rotation{subgraph}`
 * and `router_subgraph_breaker_state{subgraph,replica}`, the latter two read when scraped from
 * `inRotation` (subgraph name → replicas in rotation now) and `breakers` (subgraph name,
 * replica URL → its breaker's state now).
 */
export function createSubgraphMetrics(
  registry: Registry,
  read: {
    inRotation: () => Iterable<[subgraph: string, count: number]>;
    breakers: () => Iterable<[subgraph: string, replica: string, state: BreakerState]>;
  },
): SubgraphMetrics {
  const retries = new Counter({
    name: 'router_subgraph_retries_total',
    help: 'Subgraph fetches sent again to another replica, by subgraph and the first failure (refused, draining, timeout, transport)',
    labelNames: ['subgraph', 'reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'router_subgraph_replicas_in_rotation',
    help: 'Replicas of each subgraph that fetches are sent to in rotation (the others are probed until they answer again)',
    labelNames: ['subgraph'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [subgraph, count] of read.inRotation()) this.set({ subgraph }, count);
    },
  });
  new Gauge({
    name: 'router_subgraph_breaker_state',
    help: 'The circuit breaker of each subgraph replica in this router process: 0 closed, 1 half-open (one probe fetch at a time), 2 open (no fetches)',
    labelNames: ['subgraph', 'replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [subgraph, replica, state] of read.breakers()) this.set({ subgraph, replica }, state);
    },
  });
  return {
    retried: (subgraph, reason) => retries.inc({ subgraph, reason }),
  };
}
