import { SUBGRAPH_NAMES } from '../subgraphs';
import type { LoadResult } from './load';
import type { Snapshot } from './metrics';
import { FOUR_SUBGRAPH_ENTITY_TYPES, type OperationId } from './operations';
import { findRun, roundsOf, type RunResult, type TargetResult, type Via } from './results';
import { median } from './stats';

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

/** Which run of a round one side of a ratio target reads. */
interface RunKey {
  operation: OperationId;
  via: Via;
  cache: boolean;
}

/** One round's two loads of a ratio target: what is measured (top) against what it is compared with (bottom). */
interface RoundRatio {
  round: number;
  top: LoadResult;
  bottom: LoadResult;
  ratio: number;
}

/**
 * The throughput ratio of the two runs in each round that has both loaded; a round missing
 * either side is left out. Only runs of the same round are compared: different rounds ran
 * minutes apart on a machine whose speed drifts.
 */
function roundRatios(runs: readonly RunResult[], top: RunKey, bottom: RunKey): RoundRatio[] {
  return roundsOf(runs).flatMap((round) => {
    const a = findRun(runs, top.operation, top.via, top.cache, round)?.load;
    const b = findRun(runs, bottom.operation, bottom.via, bottom.cache, round)?.load;
    return a && b && b.rps > 0 ? [{ round, top: a, bottom: b, ratio: a.rps / b.rps }] : [];
  });
}

/**
 * The measured text of a ratio target: one round as it always read (`single`); several as the
 * median with every round's ratio and its two req/s, so a round the machine disturbed shows.
 */
function ratioDetail(
  runs: readonly RunResult[],
  ratios: readonly RoundRatio[],
  format: (ratio: number) => string,
  pair: (ratio: RoundRatio) => string,
  single: (ratio: RoundRatio) => string,
): string {
  const rounds = roundsOf(runs);
  if (rounds.length <= 1 && ratios.length === 1) return single(ratios[0]!);
  const skipped = rounds.filter((round) => !ratios.some((r) => r.round === round));
  return (
    `median ${format(median(ratios.map((r) => r.ratio)))} over ${ratios.length} round${ratios.length === 1 ? '' : 's'} ` +
    `(${ratios.map((r) => format(r.ratio)).join(', ')}); ` +
    ratios.map((r) => `round ${r.round}: ${pair(r)}`).join('; ') +
    (skipped.length ? `; round${skipped.length === 1 ? '' : 's'} ${skipped.join(', ')} not complete` : '')
  );
}

const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const share = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;
const reqs = (load: LoadResult) => `${load.rps.toFixed(0)} req/s`;

function warmSpeedup(runs: readonly RunResult[]): TargetResult {
  const name = `warm vs cold: "my cart with 50 products" with the cache on is at least ${WARM_SPEEDUP}× as fast as with it off`;
  const ratios = roundRatios(runs, { operation: 'my-cart-50', via: 'router', cache: true }, { operation: 'my-cart-50', via: 'router', cache: false });
  if (ratios.length === 0) return { id: 'b', name, status: 'not run', detail: 'both cache passes of my-cart-50 are needed' };
  return {
    id: 'b',
    name,
    status: median(ratios.map((r) => r.ratio)) >= WARM_SPEEDUP ? 'pass' : 'fail',
    detail: ratioDetail(
      runs,
      ratios,
      times,
      (r) => `${reqs(r.top)} on vs ${reqs(r.bottom)} off`,
      (r) => `${reqs(r.top)} cache on vs ${reqs(r.bottom)} cache off: ${times(r.ratio)}`,
    ),
  };
}

function routerOverhead(runs: readonly RunResult[]): TargetResult {
  const name = `router overhead: product by sku through the router reaches at least ${ROUTER_SHARE * 100}% of the product subgraph's own throughput`;
  const ratios = roundRatios(
    runs,
    { operation: 'product-by-sku', via: 'router', cache: true },
    { operation: 'product-by-sku', via: 'product subgraph', cache: true },
  );
  if (ratios.length === 0) return { id: 'c', name, status: 'not run', detail: 'product-by-sku through the router and direct (cache on) are needed' };
  return {
    id: 'c',
    name,
    status: median(ratios.map((r) => r.ratio)) >= ROUTER_SHARE ? 'pass' : 'fail',
    detail: ratioDetail(
      runs,
      ratios,
      share,
      (r) => `${reqs(r.top)} through the router vs ${reqs(r.bottom)} direct (cache on)`,
      (r) => `${reqs(r.top)} through the router vs ${reqs(r.bottom)} direct (cache on): ${share(r.ratio)}`,
    ),
  };
}

export function evaluateTargets(runs: readonly RunResult[]): TargetResult[] {
  return [coldStatements(runs), warmSpeedup(runs), routerOverhead(runs)];
}
