import { throttledLog, type Logger, type Redis } from '@shop/runtime';

export interface ApqCacheOptions {
  redis: Redis;
  /** Upper bound for any entry's lifetime, whatever Apollo asks for. */
  ttlSeconds: number;
  /** Larger documents run but are not stored. */
  maxBytes: number;
  log: Logger;
  /** For metrics: what each lookup or registration came to. */
  onResult?: (result: ApqCacheResult) => void;
}

export type ApqCacheResult = 'hit' | 'miss' | 'stored' | 'too_large' | 'error';

// Apollo Server prefixes APQ keys with 'apq:' before they reach a cache.
const APOLLO_PREFIX = 'apq:';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const warnThrottled = throttledLog(30_000);

/**
 * Apollo's KeyValueCache for automatic persisted queries, in Redis so every router replica
 * shares the registrations: `router:apq:v1:<sha256>` under the configured key prefix. Every
 * entry expires, and documents over maxBytes are not stored, so a flood of registrations
 * cannot grow Redis without bound. Redis down is a miss on read and a no-op on write: a
 * hash-only request gets PERSISTED_QUERY_NOT_FOUND and the client resends the full text.
 */
export class RedisApqCache {
  constructor(private readonly options: ApqCacheOptions) {}

  private keyFor(key: string): string | null {
    const hash = key.startsWith(APOLLO_PREFIX) ? key.slice(APOLLO_PREFIX.length) : key;
    return SHA256_HEX.test(hash) ? `router:apq:v1:${hash}` : null;
  }

  async get(key: string): Promise<string | undefined> {
    const redisKey = this.keyFor(key);
    if (!redisKey) return undefined;
    try {
      const value = (await this.options.redis.get(redisKey)) ?? undefined;
      this.options.onResult?.(value === undefined ? 'miss' : 'hit');
      return value;
    } catch (error) {
      this.redisDown(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const redisKey = this.keyFor(key);
    if (!redisKey) return;
    if (Buffer.byteLength(value) > this.options.maxBytes) {
      this.options.onResult?.('too_large');
      return;
    }
    const ttl = Math.min(options?.ttl ?? this.options.ttlSeconds, this.options.ttlSeconds);
    try {
      await this.options.redis.set(redisKey, value, 'EX', Math.max(1, Math.floor(ttl)));
      this.options.onResult?.('stored');
    } catch (error) {
      this.redisDown(error);
    }
  }

  async delete(key: string): Promise<boolean> {
    const redisKey = this.keyFor(key);
    if (!redisKey) return false;
    try {
      return (await this.options.redis.del(redisKey)) > 0;
    } catch (error) {
      this.redisDown(error);
      return false;
    }
  }

  private redisDown(error: unknown): void {
    this.options.onResult?.('error');
    warnThrottled('apq-redis', () => this.options.log.warn({ err: error }, 'APQ cache unavailable; persisted queries fall back to full text'));
  }
}
