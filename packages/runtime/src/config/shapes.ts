import { z } from 'zod';
import { flag, list, logLevel, nodeEnv, nonNegativeInt, port, positiveInt, url } from './env';

/*
 * Settings more than one process reads, as zod shapes (plain objects of zod types) to spread
 * into a schema: `z.object({ ...baseEnv(4000), ...redisEnv, ... })` or `schema.extend(authEnv)`.
 */

/** What every process reads; `defaultPort` is its own. */
export const baseEnv = (defaultPort: number) => ({
  NODE_ENV: nodeEnv,
  LOG_LEVEL: logLevel,
  HOST: z.string().default('127.0.0.1'),
  PORT: port(defaultPort),
  /**
   * Seconds a stopping process (SIGTERM or stop()) keeps refusing new requests with the
   * draining answer, /health/ready at 503, before it closes its listener: longer than the load
   * balancer takes to notice (HAProxy: 2 checks 500 ms apart). 0 closes at once (tests).
   */
  SHUTDOWN_DRAIN_SECONDS: nonNegativeInt(3),
});

export const redisEnv = {
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: z.string().default(''),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
};

/** Router → subgraph request signing: the router signs, each subgraph checks (see resolveSigningSecrets). */
export const signingEnv = {
  ROUTER_SIGNING_SECRETS: list(),
  SECRETS_DIR: z.string().default('.secrets'),
};

/** The access tokens the user subgraph issues and the router verifies. */
export const authEnv = {
  AUTH_ISSUER: z.string().min(1).default('shop-user-subgraph'),
  AUTH_AUDIENCE: z.string().min(1).default('shop-supergraph'),
};

/** `false` turns caching off: the subgraphs' caches and the router's entity cache alike. */
export const cacheSwitchEnv = {
  CACHE_ENABLED: flag(true),
};
