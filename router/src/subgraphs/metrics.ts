import { Counter, Gauge, type Registry } from 'prom-client';
import type { FetchFailure } from './retry-policy';

export interface SubgraphMetrics {
  /** A fetch that failed with `failure` is sent again, to another replica. */
  retried(subgraph: string, failure: FetchFailure): void;
}

/**
 * `router_subgraph_retries_total{subgraph,reason}` and `router_subgraph_replicas_in_rotation{subgraph}`,
 * the latter read when scraped from `inRotation` (subgraph name → replicas in rotation now).
 */
export function createSubgraphMetrics(registry: Registry, inRotation: () => Iterable<[subgraph: string, count: number]>): SubgraphMetrics {
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
      for (const [subgraph, count] of inRotation()) this.set({ subgraph }, count);
    },
  });
  return {
    retried: (subgraph, reason) => retries.inc({ subgraph, reason }),
  };
}
