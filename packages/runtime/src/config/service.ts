import { z } from 'zod';
import { list, logLevel, nodeEnv, nonNegativeInt, port, positiveInt, url } from './env';

/** Per-entity cache TTLs, e.g. `product=300,cartLines=30`; entities not named use CACHE_TTL_SECONDS. */
const ttlMap = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const ttls: Record<string, number> = {};
    for (const pair of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
      const [entity, seconds] = pair.split('=');
      const n = Number(seconds);
      if (!entity || !Number.isInteger(n) || n < 1) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${pair}' is not entity=seconds` });
        return z.NEVER;
      }
      ttls[entity.trim()] = n;
    }
    return ttls;
  });

/**
 * Settings every subgraph shares. Each subgraph extends this schema with its own and parses
 * once in its composition root.
 */
export function serviceEnvSchema(defaults: { port: number; database: string }) {
  return z.object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    PORT: port(defaults.port),
    HOST: z.string().default('127.0.0.1'),
    POSTGRES_URL: url('postgres://postgres@127.0.0.1:5432', ['postgres:', 'postgresql:']),
    POSTGRES_DB: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase database name').default(defaults.database),
    POSTGRES_POOL_SIZE: positiveInt(10),
    REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    REDIS_KEY_PREFIX: z.string().default(''),
    REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
    RABBITMQ_URL: url('amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
    RABBITMQ_EXCHANGE: z.string().min(1).default('shop.events'),
    RABBITMQ_QUEUE_PREFIX: z.string().min(1).default('shop'),
    RABBITMQ_MAX_DELIVERY_ATTEMPTS: positiveInt(5),
    RABBITMQ_RETRY_BASE_MS: positiveInt(200),
    OUTBOX_POLL_MS: positiveInt(500),
    /** Published outbox rows and inbox records are deleted after this many hours. */
    EVENTS_RETENTION_HOURS: positiveInt(168),
    ROUTER_SIGNING_SECRETS: list(),
    ROUTER_SIGNATURE_MAX_SKEW_SECONDS: positiveInt(60),
    SECRETS_DIR: z.string().default('.secrets'),
    CACHE_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
    CACHE_TTL_SECONDS: positiveInt(60),
    CACHE_TTLS: ttlMap,
    /** Seconds an entry every caller may see (a product, a price) is kept in process memory too; 0 turns that layer off. */
    CACHE_LOCAL_TTL_SECONDS: nonNegativeInt(5),
    CACHE_LOCAL_MAX_ENTRIES: positiveInt(10_000),
    SHOP_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').default('USD'),
  });
}

export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
