import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import { throttledLog, type Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RequestScope } from '../observability/trace';
import type { InvalidationChannel } from './invalidation-channel';
import { LocalLayer, type LocalLayerOptions } from './local-layer';
import { RecentInvalidations } from './recent-invalidations';

/**
 * The cache generation of one subgraph, shared by its replicas through Redis. It is part of
 * every key, so bumping it orphans every entry at once. A replica that failed to delete keys
 * while Redis was unreachable bumps it when Redis is back; replicas re-read it every
 * `refreshMs`, so a missed invalidation is never served for longer than that after recovery.
 */
export class CacheGeneration {
  private value: number | null = null;
  private missedInvalidation = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly logThrottled = throttledLog(30_000);
  private readonly onReady = () => void this.sync();

  constructor(
    private readonly redis: Redis,
    private readonly subgraph: string,
    private readonly log: Logger,
    private readonly refreshMs = 1_000,
    /**
     * For a cache outside the subgraph (the router's): never creates the generation, so one
     * the subgraph has not made (another Redis, another key prefix) reads as unknown, and that
     * cache stays off instead of missing every invalidation.
     */
    private readonly readOnly = false,
  ) {
    redis.on('ready', this.onReady);
    this.timer = setInterval(() => void this.sync(), refreshMs);
    this.timer.unref();
  }

  private get key(): string {
    return `${this.subgraph}:cache:generation`;
  }

  /** null while unknown (Redis unreachable): the cache is bypassed, never guessed. */
  current(): number | null {
    return this.value;
  }

  /**
   * Empties every cache layer of this subgraph at once, in every replica (each sees the new
   * generation within `refreshMs`; this one at once). Throws when Redis is unreachable.
   */
  async bump(): Promise<number> {
    this.value = await this.redis.incr(this.key);
    return this.value;
  }

  /** An invalidation could not reach Redis: stop using the cache until the bump. */
  markMissed(): void {
    this.missedInvalidation = true;
    this.value = null;
  }

  async sync(): Promise<void> {
    try {
      if (this.missedInvalidation) {
        this.value = await this.redis.incr(this.key);
        this.missedInvalidation = false;
        this.log.info({ generation: this.value }, 'cache generation bumped after missed invalidations');
        return;
      }
      const stored = await this.redis.get(this.key);
      this.value = stored !== null ? Number(stored) : this.readOnly ? null : await this.initialise();
    } catch (error) {
      this.value = null;
      this.logThrottled('generation', () => this.log.warn({ err: error }, 'cache generation unavailable; the cache is bypassed'));
    }
  }

  private async initialise(): Promise<number> {
    await this.redis.set(this.key, '1', 'NX');
    return Number(await this.redis.get(this.key));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
  }
}

export interface EntityCacheOptions {
  subgraph: string;
  entity: string;
  /** Bump when the cached shape changes; part of the key (`<subgraph>:<entity>:v<N>:<id>`). */
  schemaVersion: number;
  ttlSeconds: number;
  generation: CacheGeneration;
  log: Logger;
  metrics?: Metrics;
  /**
   * The federated type (`Product`) whose entities these ids are the `id` keys of, when the
   * cached rows are what that type's fields are read from: invalidations then name the type,
   * so the router's entity cache drops those entities too. Needs `local` (its channel).
   */
  entityType?: string;
  /**
   * An in-process layer in front of Redis, only for data every caller may see. Replicas tell
   * each other what they invalidate through `channel`; the layer is bypassed while it is down.
   */
  local?: LocalLayerOptions & { channel: InvalidationChannel };
}

/**
 * A Redis read-through cache for one entity type, keyed by id, with an optional in-process
 * layer in front. Any Redis failure turns into a miss (reads) or a generation bump
 * (invalidations): slower, never wrong, never failing.
 */
export class EntityCache<V> {
  /** Concurrent database reads of this entity in this process. */
  readonly flight = new SingleFlight<V>();
  /** When each key was last invalidated here: a read that began before must not write back. */
  private readonly invalidatedAt = new RecentInvalidations(10_000);
  private readonly logThrottled = throttledLog(30_000);
  private readonly local: LocalLayer<V> | null = null;

  constructor(
    private readonly redis: Redis,
    readonly options: EntityCacheOptions,
  ) {
    const local = options.local;
    if (local && local.ttlMs > 0 && local.maxEntries > 0) {
      const layer = new LocalLayer<V>(local);
      this.local = layer;
      local.channel.listen(
        options.entity,
        (ids) => {
          this.remember(ids);
          layer.delete(ids);
        },
        () => layer.clear(),
      );
    }
  }

  /** The in-process layer, when it may be used now: only while invalidations reach this replica. */
  private localLayer(): LocalLayer<V> | null {
    return this.local && this.options.local!.channel.live ? this.local : null;
  }

  /** Whether a value read at `readStartedAt` may go into memory (see InvalidationChannel.coversReadFrom). */
  private memorable(id: string, readStartedAt: number): boolean {
    return this.writableBack(id, readStartedAt) && this.options.local!.channel.coversReadFrom(readStartedAt);
  }

  private writableBack(id: string, readStartedAt: number): boolean {
    return !this.invalidatedAt.since(id, readStartedAt);
  }

  private key(generation: number, id: string): string {
    const { subgraph, entity, schemaVersion } = this.options;
    return `${subgraph}:${entity}:v${schemaVersion}.${generation}:${id}`;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    const generation = this.options.generation.current();
    if (generation === null || ids.length === 0) return found;
    const local = this.localLayer();
    const wanted = local ? local.take(generation, ids, found) : ids;
    if (wanted.length === 0) return found;
    const started = Date.now();
    try {
      const values = await this.redis.mget(wanted.map((id) => this.key(generation, id)));
      values.forEach((value, i) => {
        if (value === null) return;
        const id = wanted[i]!;
        const parsed = reviveDates(JSON.parse(value)) as V;
        found.set(id, parsed);
        // An invalidation heard while this MGET was out may have come after Redis answered it.
        if (local && this.memorable(id, started)) local.put(generation, id, parsed);
      });
    } catch (error) {
      this.warn(error);
    }
    return found;
  }

  /** `readStartedAt`: when the read that produced these values began (see invalidate). */
  async setMany(entries: Array<[string, V]>, readStartedAt = Date.now()): Promise<void> {
    const generation = this.options.generation.current();
    entries = entries.filter(([id]) => this.writableBack(id, readStartedAt));
    if (generation === null || entries.length === 0) return;
    const local = this.localLayer();
    if (local) for (const [id, value] of entries) if (this.memorable(id, readStartedAt)) local.put(generation, id, value);
    const pipeline = this.redis.pipeline();
    for (const [id, value] of entries) {
      // ±10% jitter so entries written together do not expire together.
      const ttl = Math.max(1, Math.round(this.options.ttlSeconds * (0.9 + Math.random() * 0.2)));
      pipeline.set(this.key(generation, id), JSON.stringify(value), 'EX', ttl);
    }
    try {
      await pipeline.exec();
    } catch (error) {
      this.warn(error);
    }
  }

  /**
   * Call after the transaction that changed these ids has committed: drops them here at once,
   * from Redis, and (through the channel) from every other replica's in-process layer.
   */
  async invalidate(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.flight.forget(ids);
    this.remember(ids);
    this.local?.delete(ids);
    const generation = this.options.generation.current();
    if (generation === null) {
      this.options.generation.markMissed();
      return;
    }
    const keys = ids.map((id) => this.key(generation, id));
    try {
      await this.redis.del(...keys);
      // Even with no layer of its own (CACHE_LOCAL_TTL_SECONDS=0), other replicas may have one.
      if (this.options.local) await this.options.local.channel.publish(this.options.entity, ids, this.options.entityType);
    } catch (error) {
      // Unsent, other replicas could keep serving these from memory: the generation bump
      // that follows empties every replica's layers as well as Redis.
      this.options.generation.markMissed();
      this.warn(error);
      return;
    }
    // A read that began before the commit may still write the old row back; delete again
    // once such a read has surely finished, and tell the replicas again, since one may have
    // taken that old row from Redis into memory meanwhile.
    const again = async () => {
      await this.redis.del(...keys);
      if (this.options.local) await this.options.local.channel.publish(this.options.entity, ids, this.options.entityType);
    };
    setTimeout(() => void again().catch(() => this.options.generation.markMissed()), 1_000).unref();
  }

  private remember(ids: readonly string[]): void {
    this.invalidatedAt.record(ids, Date.now());
  }

  private warn(error: unknown): void {
    this.logThrottled(this.options.entity, () => this.options.log.warn({ err: error, entity: this.options.entity }, 'cache unavailable; reading from Postgres'));
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const isTimestampKey = (key: string) => key.endsWith('_at') || key.endsWith('At');

/**
 * Timestamps (`created_at` columns, `createdAt` fields) of a cached row, or of the rows in a
 * cached list, come back as Dates. Only that depth: a JSON.parse reviver visiting every node
 * cost as much CPU as reading the rows from Postgres.
 */
function reviveDates(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (const item of value) reviveRow(item);
  } else {
    reviveRow(value);
  }
  return value;
}

function reviveRow(row: unknown): void {
  if (typeof row !== 'object' || row === null) return;
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const field = record[key];
    if (typeof field === 'string' && isTimestampKey(key) && ISO_DATE.test(field)) record[key] = new Date(field);
  }
}

interface PendingBatch<V> {
  ids: Set<string>;
  promise: Promise<Map<string, V>>;
}

/**
 * Process-wide single flight with a short batch window: concurrent misses on one key share one
 * database read, and misses from concurrent requests (the router fetches a cart's products and
 * an order's products in parallel) that arrive within `windowMs` go to Postgres together, as
 * one statement. Only for data every caller may see; per-user data is keyed per user anyway.
 */
export class SingleFlight<V> {
  private readonly inFlight = new Map<string, Promise<V | undefined>>();
  private pending: PendingBatch<V> | null = null;

  constructor(private readonly windowMs = 2) {}

  async load(ids: readonly string[], fetch: (ids: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const mine = ids.filter((id) => !this.inFlight.has(id));
    if (mine.length > 0) {
      const batch = this.enqueue(mine, fetch);
      for (const id of mine) {
        const promise = batch.then((rows) => rows.get(id));
        promise.catch(() => undefined);
        this.inFlight.set(id, promise);
      }
    }
    // Take every promise now: a settled batch removes its keys from the map.
    const waits = [...new Set(ids)].map((id) => [id, this.inFlight.get(id)!] as const);
    const result = new Map<string, V>();
    for (const [id, promise] of waits) {
      const value = await promise;
      if (value !== undefined) result.set(id, value);
    }
    return result;
  }

  /** Reads that start from now on do not join the reads already in flight for these keys. */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  private enqueue(ids: string[], fetch: (ids: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    if (!this.pending) {
      let start!: () => void;
      const started = new Promise<void>((resolve) => (start = resolve));
      const batchIds = new Set<string>();
      const pending: PendingBatch<V> = { ids: batchIds, promise: started.then(() => fetch([...batchIds])) };
      pending.promise
        .catch(() => undefined)
        .finally(() => {
          for (const id of pending.ids) this.inFlight.delete(id);
        });
      this.pending = pending;
      setTimeout(() => {
        this.pending = null;
        start();
      }, this.windowMs);
    }
    const pending = this.pending!;
    for (const id of ids) pending.ids.add(id);
    return pending.promise;
  }
}

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
