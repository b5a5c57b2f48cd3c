import { throttledLog, type Logger, type Redis } from '@shop/runtime';

export interface ApqCacheOptions {
  redis: Redis;
  /** Upper bound for any entry's lifetime, whatever Apollo asks for. */
  ttlSeconds: number;
  /** Larger documents run but are not stored. */
  maxBytes: number;
  /** Most entries kept; past it the oldest registrations go first. */
  maxEntries: number;
  /** Most bytes of documents kept in all; past it the oldest registrations go first. */
  maxTotalBytes: number;
  log: Logger;
  /** For metrics: what each lookup or registration came to. */
  onResult?: (result: ApqCacheResult) => void;
}

export type ApqCacheResult = 'hit' | 'miss' | 'stored' | 'evicted' | 'too_large' | 'error';

// Apollo Server prefixes APQ keys with 'apq:' before they reach a cache.
const APOLLO_PREFIX = 'apq:';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const warnThrottled = throttledLog(30_000);
const KEY_SPACE = 'router:apq:v1:';

/**
 * Stores one entry and keeps the whole APQ key space within its caps, atomically, so two
 * routers registering at once cannot both overshoot. KEYS: the registration index (a sorted
 * set of hashes by registration time), the sizes (a hash of bytes per entry), the byte total,
 * the entry. ARGV: hash, document, ttl s, now ms, max entries, max total bytes, the entries'
 * full key prefix (Lua builds evicted entries' names itself, so the client's key prefix is
 * passed in). Entries past their TTL leave the index first; then the oldest go until both
 * caps hold. Returns how many were evicted.
 */
const STORE_CAPPED = `
local index, sizes, total, entry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local hash, value, ttl, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local maxEntries, maxBytes, prefix = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local function forget(h)
  local size = tonumber(redis.call('HGET', sizes, h) or '0')
  redis.call('HDEL', sizes, h)
  redis.call('ZREM', index, h)
  redis.call('DECRBY', total, size)
end
for _, h in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now - ttl * 1000)) do forget(h) end
if redis.call('ZSCORE', index, hash) then forget(hash) end
redis.call('SET', entry, value, 'EX', ttl)
redis.call('ZADD', index, now, hash)
redis.call('HSET', sizes, hash, string.len(value))
redis.call('INCRBY', total, string.len(value))
local evicted = 0
while redis.call('ZCARD', index) > maxEntries or tonumber(redis.call('GET', total) or '0') > maxBytes do
  local oldest = redis.call('ZRANGE', index, 0, 0)[1]
  if not oldest then break end
  forget(oldest)
  redis.call('DEL', prefix .. oldest)
  evicted = evicted + 1
end
return evicted
`;

/**
 * Apollo's KeyValueCache for automatic persisted queries, in Redis so every router replica
 * shares the registrations: `router:apq:v1:<sha256>` under the configured key prefix. Every
 * entry expires, documents over maxBytes are not stored, and the key space is capped by entry
 * count and by bytes (oldest registrations go first), so a flood of registrations cannot crowd
 * out what else lives in that Redis (refresh sessions). Redis down is a miss on read and a no-op on write: a
 * hash-only request gets PERSISTED_QUERY_NOT_FOUND and the client resends the full text.
 */
export class RedisApqCache {
  private readonly storeCapped: (...args: Array<string | number>) => Promise<number>;

  constructor(private readonly options: ApqCacheOptions) {
    // Defined once on the client: ioredis then sends the script's SHA (EVALSHA), not its text,
    // on every registration, which is the path a flood of registrations takes.
    const redis = options.redis as Redis & { apqStoreCapped?: (...args: Array<string | number>) => Promise<number> };
    if (!redis.apqStoreCapped) redis.defineCommand('apqStoreCapped', { numberOfKeys: 4, lua: STORE_CAPPED });
    this.storeCapped = redis.apqStoreCapped!.bind(redis);
  }

  private keyFor(key: string): string | null {
    const hash = key.startsWith(APOLLO_PREFIX) ? key.slice(APOLLO_PREFIX.length) : key;
    return SHA256_HEX.test(hash) ? `${KEY_SPACE}${hash}` : null;
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
    const ttl = Math.max(1, Math.floor(Math.min(options?.ttl ?? this.options.ttlSeconds, this.options.ttlSeconds)));
    const { redis, maxEntries, maxTotalBytes } = this.options;
    try {
      const evicted = await this.storeCapped(
        `${KEY_SPACE}index`,
        `${KEY_SPACE}sizes`,
        `${KEY_SPACE}bytes`,
        redisKey,
        redisKey.slice(KEY_SPACE.length),
        value,
        ttl,
        Date.now(),
        maxEntries,
        maxTotalBytes,
        `${redis.options.keyPrefix ?? ''}${KEY_SPACE}`,
      );
      this.options.onResult?.('stored');
      for (let i = 0; i < evicted; i += 1) this.options.onResult?.('evicted');
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
