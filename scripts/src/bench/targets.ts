import { SUBGRAPH_NAMES } from '../subgraphs';
import type { Snapshot } from './metrics';
import { FOUR_SUBGRAPH_ENTITY_TYPES } from './operations';
import { findRun, type RunResult, type TargetResult } from './results';

export const WARM_SPEEDUP = 2;
export const ROUTER_SHARE = 0.5;

const statements = (snapshot: Snapshot, name: string) => snapshot[name]?.sqlStatements ?? 0;

/**
 * "product 2/2 (2 calls), user 1/1, …": statements against a budget of one per entity type
 * for each call the router made to the subgraph. The router's plan asks for the cart's and
 * the orders' products in two parallel branches, so product is called twice; the two calls
 * share one statement only when they reach it within its single-flight window.
 */
function againstBudget(snapshot: Snapshot): { over: string[]; text: string } {
  const over: string[] = [];
  const parts = SUBGRAPH_NAMES.map((name) => {
    const calls = snapshot[name]?.requests ?? 0;
    const budget = FOUR_SUBGRAPH_ENTITY_TYPES[name].length * Math.max(1, calls);
    const used = statements(snapshot, name);
    if (used > budget) over.push(name);
    return `${name} ${used}/${budget}${calls > 1 ? ` (${calls} calls)` : ''}`;
  });
  return { over, text: parts.join(', ') };
}

function coldStatements(runs: readonly RunResult[]): TargetResult {
  const name = 'cold: the four-subgraph query uses at most one SQL statement per entity type per subgraph call; warm, none for products and users';
  const on = findRun(runs, 'four-subgraphs', 'router', true);
  const off = findRun(runs, 'four-subgraphs', 'router', false);
  const colds = [
    { label: 'cold (cache just emptied)', snapshot: on?.cold },
    { label: 'cache off', snapshot: off?.cold },
  ].filter((c): c is { label: string; snapshot: Snapshot } => c.snapshot !== undefined);
  if (colds.length === 0 || !on?.warm) return { id: 'a', name, status: 'not run', detail: 'the four-subgraph query was not measured' };
  const failures: string[] = [];
  const details = colds.map(({ label, snapshot }) => {
    const { over, text } = againstBudget(snapshot);
    if (over.length) failures.push(`${label}: ${over.join(', ')} over budget`);
    return `${label}: ${text}`;
  });
  const warmProduct = statements(on.warm, 'product');
  const warmUser = statements(on.warm, 'user');
  if (warmProduct > 0 || warmUser > 0) failures.push(`warm: product ${warmProduct}, user ${warmUser} statements`);
  details.push(`warm: product ${warmProduct}, user ${warmUser} (cart ${statements(on.warm, 'cart')}, order ${statements(on.warm, 'order')})`);
  return { id: 'a', name, status: failures.length ? 'fail' : 'pass', detail: details.join('; ') + (failures.length ? `. Failed: ${failures.join('; ')}` : '') };
}

function warmSpeedup(runs: readonly RunResult[]): TargetResult {
  const name = `warm vs cold: "my cart with 50 products" with the cache on is at least ${WARM_SPEEDUP}× as fast as with it off`;
  const warm = findRun(runs, 'my-cart-50', 'router', true)?.load;
  const cold = findRun(runs, 'my-cart-50', 'router', false)?.load;
  if (!warm || !cold || cold.rps === 0) return { id: 'b', name, status: 'not run', detail: 'both cache passes of my-cart-50 are needed' };
  const ratio = warm.rps / cold.rps;
  return {
    id: 'b',
    name,
    status: ratio >= WARM_SPEEDUP ? 'pass' : 'fail',
    detail: `${warm.rps.toFixed(0)} req/s cache on vs ${cold.rps.toFixed(0)} req/s cache off: ${ratio.toFixed(2)}×`,
  };
}

function routerOverhead(runs: readonly RunResult[]): TargetResult {
  const name = `router overhead: product by sku through the router reaches at least ${ROUTER_SHARE * 100}% of the product subgraph's own throughput`;
  const router = findRun(runs, 'product-by-sku', 'router', true)?.load;
  const direct = findRun(runs, 'product-by-sku', 'product subgraph', true)?.load;
  if (!router || !direct || direct.rps === 0) return { id: 'c', name, status: 'not run', detail: 'product-by-sku through the router and direct (cache on) are needed' };
  const share = router.rps / direct.rps;
  return {
    id: 'c',
    name,
    status: share >= ROUTER_SHARE ? 'pass' : 'fail',
    detail: `${router.rps.toFixed(0)} req/s through the router vs ${direct.rps.toFixed(0)} req/s direct (cache on): ${(share * 100).toFixed(0)}%`,
  };
}

export function evaluateTargets(runs: readonly RunResult[]): TargetResult[] {
  return [coldStatements(runs), warmSpeedup(runs), routerOverhead(runs)];
}
