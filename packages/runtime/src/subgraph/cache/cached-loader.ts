import DataLoader from 'dataloader';
import type { RequestScope } from '../../observability/trace';
import type { EntityCache } from './entity-cache';

/** Rows by a unique key: a map with an entry for each key that has a row. */
export function byKey<V>(fetch: (ids: string[]) => Promise<V[]>, keyOf: (row: V) => string) {
  return async (ids: string[]) => new Map((await fetch(ids)).map((row) => [keyOf(row), row] as const));
}

/** Rows per parent key: every key gets an entry (an empty list too, so it is cached). */
export function grouped<V>(fetch: (ids: string[]) => Promise<V[]>, parentOf: (row: V) => string) {
  return async (ids: string[]) => {
    const groups = new Map<string, V[]>(ids.map((id) => [id, []]));
    for (const row of await fetch(ids)) groups.get(parentOf(row))?.push(row);
    return groups;
  };
}

/**
 * A per-request DataLoader that reads through the cache: MGET the batch, one SQL statement
 * for the misses (single-flighted across concurrent requests), SET what was found.
 * `enabled: false` (config) reads straight from Postgres, for the benchmark's cold runs.
 */
export function cachedLoader<V>(options: {
  cache: EntityCache<V>;
  load: (ids: string[]) => Promise<Map<string, V>>;
  enabled: boolean;
  /** The request whose hits and misses these are. */
  scope: RequestScope;
}): DataLoader<string, V | null> {
  const { cache, load, enabled, scope } = options;
  return new DataLoader<string, V | null>(async (ids) => {
    if (!enabled) {
      const rows = await load([...ids]);
      return ids.map((id) => rows.get(id) ?? null);
    }
    const hits = await cache.getMany(ids);
    const misses = ids.filter((id) => !hits.has(id));
    scope.cacheHits += hits.size;
    scope.cacheMisses += misses.length;
    if (misses.length > 0) {
      const started = Date.now();
      const loaded = await cache.flight.load(misses, load);
      await cache.setMany([...loaded], started);
      for (const [id, value] of loaded) hits.set(id, value);
    }
    return ids.map((id) => hits.get(id) ?? null);
  });
}
