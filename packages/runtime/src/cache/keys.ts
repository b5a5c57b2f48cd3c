/**
 * The cache contract between a subgraph's replicas, the router and the operators' tools: the
 * Redis keys and channels that every side must spell alike.
 *
 * - `<subgraph>:cache:generation` (under REDIS_KEY_PREFIX): the subgraph's cache generation,
 *   part of every entry's key; bumping it empties every layer of that subgraph at once.
 * - `<subgraph>:<entity>:v<schemaVersion>.<generation>:<id>` (under REDIS_KEY_PREFIX): one
 *   cached entity.
 * - `<REDIS_KEY_PREFIX><subgraph>:cache:invalidations`: the pub/sub channel on which replicas
 *   announce what they invalidated. Pub/sub channels take no key prefix, so it is written in.
 */

/** The generation's key, as a client with the key prefix set (ioredis `keyPrefix`) names it. */
export function cacheGenerationKey(subgraph: string): string {
  return `${subgraph}:cache:generation`;
}

/** One cached entity's key, as a client with the key prefix set names it. */
export function cacheEntryKey(entry: { subgraph: string; entity: string; schemaVersion: number; generation: number; id: string }): string {
  return `${entry.subgraph}:${entry.entity}:v${entry.schemaVersion}.${entry.generation}:${entry.id}`;
}

/** The full name of a subgraph's invalidation channel. */
export function cacheInvalidationChannel(keyPrefix: string, subgraph: string): string {
  return `${keyPrefix}${subgraph}:cache:invalidations`;
}
