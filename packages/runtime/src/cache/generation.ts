import type { Redis } from 'ioredis';
import { throttledLog, type Logger } from '../observability/logger';
import { cacheGenerationKey } from './keys';

export interface CacheGenerationOptions {
  redis: Redis;
  subgraph: string;
  log: Logger;
  /** How often every replica re-reads the generation (default 1 s). */
  refreshMs?: number;
  /**
   * For a cache outside the subgraph (the router's): never creates the generation, so one
   * the subgraph has not made (another Redis, another key prefix) reads as unknown, and that
   * cache stays off instead of missing every invalidation.
   */
  readOnly?: boolean;
}

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

  private readonly redis: Redis;
  private readonly log: Logger;
  private readonly key: string;
  private readonly readOnly: boolean;

  constructor(options: CacheGenerationOptions) {
    this.redis = options.redis;
    this.log = options.log;
    this.key = cacheGenerationKey(options.subgraph);
    this.readOnly = options.readOnly ?? false;
    this.redis.on('ready', this.onReady);
    this.timer = setInterval(() => void this.sync(), options.refreshMs ?? 1_000);
    this.timer.unref();
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
