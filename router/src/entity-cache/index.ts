import { Counter, type Registry } from 'prom-client';
import { CacheGeneration, cacheInvalidationChannel, InvalidationChannel, type Logger, type Redis } from '@shop/runtime';
import { EntityStore } from './entity-store';
import { SubgraphEntityCache } from './subgraph-entity-cache';

export { SubgraphEntityCache, type CacheHint } from './subgraph-entity-cache';

export interface EntityCachesOptions {
  /** The subgraphs whose public entities are cached. */
  subgraphs: readonly string[];
  redis: Redis;
  /** REDIS_KEY_PREFIX: pub/sub channel names take no key prefix, so it is part of the name. */
  keyPrefix: string;
  ttlSeconds: number;
  maxEntries: number;
  log: Logger;
  registry: Registry;
}

export interface EntityCaches {
  /** The cache of this subgraph's entities, or undefined when it has none. */
  of(subgraph: string): SubgraphEntityCache | undefined;
  stop(): void;
}

/**
 * One SubgraphEntityCache per configured subgraph. Each follows that subgraph's own cache
 * generation (a bump empties it, as it empties the subgraph's layers) and hears its
 * invalidations on the subgraph's channel; while either is unknown or down, it is bypassed.
 */
export async function createEntityCaches(options: EntityCachesOptions): Promise<EntityCaches> {
  const lookups = new Counter({
    name: 'router_entity_cache_total',
    help: "Entities of the subgraphs' _entities fetches looked up in the router's memory, by subgraph and result (hit or miss)",
    labelNames: ['subgraph', 'result'],
    registers: [options.registry],
  });
  const caches = new Map<string, SubgraphEntityCache>();
  const stops: Array<() => void> = [];
  for (const subgraph of options.subgraphs) {
    const generation = new CacheGeneration({ redis: options.redis, subgraph, log: options.log, readOnly: true });
    const channel = new InvalidationChannel(options.redis, cacheInvalidationChannel(options.keyPrefix, subgraph), options.log);
    const store = new EntityStore({ ttlMs: options.ttlSeconds * 1000, maxEntries: options.maxEntries });
    const cache = new SubgraphEntityCache(
      subgraph,
      store,
      { generation: () => generation.current(), live: () => channel.live, coversReadFrom: (startedAt) => channel.coversReadFrom(startedAt) },
      lookups,
    );
    channel.listenForTypes(
      (type, ids) => cache.invalidate(type, ids),
      () => cache.clear(),
    );
    caches.set(subgraph, cache);
    stops.push(() => {
      generation.stop();
      channel.stop();
    });
    await generation.sync();
  }
  return {
    of: (subgraph) => caches.get(subgraph),
    stop: () => stops.forEach((stop) => stop()),
  };
}
