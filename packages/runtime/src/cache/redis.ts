import Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import { throttledLog } from '../observability/logger';

export type { Redis };

/**
 * A Redis client that fails fast instead of waiting for a dead server: no offline queue,
 * one retry per command, a command timeout. Callers decide what "Redis is down" means for
 * them (slower reads for caches, SERVICE_UNAVAILABLE for sessions).
 */
export function createRedis(options: { url: string; keyPrefix: string; commandTimeoutMs: number; log: Logger }): Redis {
  const logThrottled = throttledLog(30_000);
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', (error) => logThrottled('redis', () => options.log.warn({ err: error }, 'redis unavailable')));
  return redis;
}

/**
 * Resolves true once the client is connected, or false after `timeoutMs` (Redis down or slow):
 * for start-up code that reads Redis at once, which would otherwise find the connection still
 * opening and fail.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}

export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}
