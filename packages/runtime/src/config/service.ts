import { z } from 'zod';
import { keyValueList, nonNegativeInt, positiveInt, url } from './env';
import { baseEnv, cacheSwitchEnv, redisEnv, signingEnv } from './shapes';

/**
 * Settings every subgraph shares. Each subgraph extends this schema with its own and parses
 * once in its composition root.
 */
export function serviceEnvSchema(defaults: { port: number; database: string }) {
  return z.object({
    ...baseEnv(defaults.port),
    ...redisEnv,
    ...signingEnv,
    ...cacheSwitchEnv,
    POSTGRES_URL: url('postgres://postgres@127.0.0.1:5432', ['postgres:', 'postgresql:']),
    POSTGRES_DB: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase database name')
      .default(defaults.database),
    POSTGRES_POOL_SIZE: positiveInt(10),
    RABBITMQ_URL: url('amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
    RABBITMQ_EXCHANGE: z.string().min(1).default('shop.events'),
    RABBITMQ_QUEUE_PREFIX: z.string().min(1).default('shop'),
    RABBITMQ_MAX_DELIVERY_ATTEMPTS: positiveInt(5),
    RABBITMQ_RETRY_BASE_MS: positiveInt(200),
    OUTBOX_POLL_MS: positiveInt(500),
    /** Published outbox rows and inbox records are deleted after this many hours. */
    EVENTS_RETENTION_HOURS: positiveInt(168),
    /** How far a signed request's timestamp may be from this subgraph's clock. */
    ROUTER_SIGNATURE_MAX_SKEW_SECONDS: positiveInt(60),
    CACHE_TTL_SECONDS: positiveInt(60),
    /** Per-entity cache TTLs, e.g. `product=300,cartLines=30`; entities not named use CACHE_TTL_SECONDS. */
    CACHE_TTLS: keyValueList({ key: /[A-Za-z_]\w*/, what: 'entity=seconds', min: 1 }),
    /** Seconds an entry every caller may see (a product, a price) is kept in process memory too; 0 turns that layer off. */
    CACHE_LOCAL_TTL_SECONDS: nonNegativeInt(5),
    CACHE_LOCAL_MAX_ENTRIES: positiveInt(10_000),
    SHOP_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .default('USD'),
  });
}

export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
