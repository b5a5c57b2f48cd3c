import { pingRedis, sendJson, type Redis, type Route } from '@shop/runtime';
import type { ManifestStore } from './persisted-queries/manifest-store';
import type { PersistedQueryMode } from './persisted-queries/policy';
import type { SupergraphFile } from './supergraph-file';

/**
 * /health/ready. Ready means this router can plan queries. Subgraphs are reported but do not
 * count: one subgraph down still leaves the rest of the graph to serve.
 */
export function readinessRoute(options: {
  production: boolean;
  stopping: () => boolean;
  supergraph: SupergraphFile;
  subgraphs: ReadonlyMap<string, string>;
  redis: Redis;
  mode: PersistedQueryMode;
  manifests: ManifestStore;
}): Route {
  const { supergraph, manifests } = options;
  return async (_req, res) => {
    const stopping = options.stopping();
    const ok = !stopping && supergraph.status.loadedAt !== null;
    // The router's port is public: in production, say whether it is ready and nothing more
    // (paths, subgraph states and Redis errors would describe the inside to anyone).
    if (options.production) return sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ok' : 'unavailable',
      checks: { supergraph: ok ? 'ok' : stopping ? 'stopping' : 'not loaded' },
      supergraph: supergraph.status,
      subgraphs: await probeSubgraphs(options.subgraphs),
      // Without Redis, clients send full text (APQ) and entities come from the subgraphs (entity cache): it does not count.
      redis: await pingRedis(options.redis).then(
        () => 'ok',
        (error: Error) => `down: ${error.message}`,
      ),
      persistedQueries: { mode: options.mode, ...manifests.status },
    });
  };
}

async function probeSubgraphs(subgraphs: ReadonlyMap<string, string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...subgraphs].map(async ([name, url]) => {
      try {
        const response = await fetch(new URL('/health/live', url), { signal: AbortSignal.timeout(1_000) });
        return [name, response.ok ? 'ok' : `down: HTTP ${response.status}`] as const;
      } catch (error) {
        return [name, `down: ${(error as Error).message}`] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}
