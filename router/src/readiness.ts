import { boundedProbe, pingRedis, sendJson, type Redis, type Route } from '@shop/runtime';
import type { ManifestStore } from './persisted-queries/manifest-store';
import type { PersistedQueryMode } from './persisted-queries/policy';
import type { SupergraphFile } from './supergraph-file';

/** Each probe reported beside readiness answers within this, so the whole answer does too (a checker waits 2 s). */
const PROBE_TIMEOUT_MS = 500;

/**
 * /health/ready. Ready means this router can plan queries: it has a supergraph (and is not
 * draining; the server answers 503 itself then). Subgraphs and Redis are reported but do not
 * count: with a subgraph down the rest of the graph still serves, and without Redis clients
 * send full text (APQ) and entities come from the subgraphs (entity cache). Their probes run
 * in parallel, each bounded, so a hung subgraph costs at most PROBE_TIMEOUT_MS.
 */
export function readinessRoute(options: {
  production: boolean;
  supergraph: SupergraphFile;
  subgraphs: ReadonlyMap<string, readonly string[]>;
  redis: Redis;
  mode: PersistedQueryMode;
  manifests: ManifestStore;
}): Route {
  const { supergraph, manifests } = options;
  const redis = boundedProbe(() => pingRedis(options.redis), PROBE_TIMEOUT_MS);
  return async (_req, res) => {
    const ok = supergraph.status.loadedAt !== null;
    // The router's port is public: in production, say whether it is ready and nothing more
    // (paths, subgraph states and Redis errors would describe the inside to anyone).
    if (options.production) return sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    const [subgraphs, redisState] = await Promise.all([probeSubgraphs(options.subgraphs), redis()]);
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ok' : 'unavailable',
      checks: { supergraph: ok ? 'ok' : 'not loaded' },
      supergraph: supergraph.status,
      subgraphs,
      redis: redisState,
      persistedQueries: { mode: options.mode, ...manifests.status },
    });
  };
}

/**
 * Each subgraph's replicas asked /health/live: `ok` when all answer; else `down: <reason>` for a
 * single replica, and for several `down:` (none answers) or `degraded:` (some do) with each
 * silent replica's URL and reason.
 */
async function probeSubgraphs(subgraphs: ReadonlyMap<string, readonly string[]>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...subgraphs].map(async ([name, urls]) => {
      const problems = (await Promise.all(urls.map(liveness))).flatMap((problem, i) => (problem === null ? [] : [{ url: urls[i]!, problem }]));
      if (problems.length === 0) return [name, 'ok'] as const;
      if (urls.length === 1) return [name, `down: ${problems[0]!.problem}`] as const;
      const list = problems.map(({ url, problem }) => `${url}: ${problem}`).join('; ');
      return [name, `${problems.length === urls.length ? 'down' : 'degraded'}: ${list}`] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Null when the replica at `url` answers /health/live, else why not. */
async function liveness(url: string): Promise<string | null> {
  try {
    const response = await fetch(new URL('/health/live', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return (error as Error).message;
  }
}
