import type { Redis } from 'ioredis';
import { cacheEntryKey } from '../../cache/keys';
import type { CacheGeneration } from '../../cache/generation';
import type { InvalidationChannel } from '../../cache/invalidation-channel';
import { RecentInvalidations } from '../../cache/recent-invalidations';
import { throttledLog, type Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { LocalLayer, type LocalLayerOptions } from './local-layer';
import { reviveDates } from './revive-dates';
import { SingleFlight } from './single-flight';

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
    return cacheEntryKey({ subgraph, entity, schemaVersion, generation, id });
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
    this.logThrottled(this.options.entity, () =>
      this.options.log.warn({ err: error, entity: this.options.entity }, 'cache unavailable; reading from Postgres'),
    );
  }
}
