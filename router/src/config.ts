import { resolve } from 'node:path';
import { z } from 'zod';
import { list, logLevel, nodeEnv, nonNegativeInt, parseEnv, port, positiveInt, url } from '@shop/runtime';
import { PERSISTED_QUERY_MODES } from './persisted-queries/policy';

/** The subgraphs this router knows how to reach (see subgraphUrls). */
const SUBGRAPH_NAMES = ['product', 'user', 'cart', 'order'] as const;

const httpUrl = (fallback: string) => url(fallback, ['http:', 'https:']);

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'must be an origin such as https://shop.example.com (scheme, host and port only)');

const booleanFlag = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => (value === undefined ? undefined : value === 'true'));

/** `Type.field=weight` pairs, e.g. `Mutation.placeOrder=10,Query.products=2`. */
const costWeights = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const weights: Record<string, number> = {};
    for (const pair of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
      const match = /^([A-Za-z_]\w*\.[A-Za-z_]\w*)=(\d+)$/.exec(pair);
      if (!match) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${pair}' is not Type.field=weight (a whole number)` });
        return z.NEVER;
      }
      weights[match[1]!] = Number(match[2]);
    }
    return weights;
  });

export const routerEnvSchema = z.object({
  NODE_ENV: nodeEnv,
  LOG_LEVEL: logLevel,
  HOST: z.string().default('127.0.0.1'),
  PORT: port(4000),
  ROUTER_SUPERGRAPH_PATH: z
    .string()
    .min(1)
    .default(resolve(__dirname, '../../schema/supergraph.graphql'))
    .transform((value) => resolve(value)),
  ROUTER_SUBGRAPH_PRODUCT_URL: httpUrl('http://127.0.0.1:4001/graphql'),
  ROUTER_SUBGRAPH_USER_URL: httpUrl('http://127.0.0.1:4002/graphql'),
  ROUTER_SUBGRAPH_CART_URL: httpUrl('http://127.0.0.1:4003/graphql'),
  ROUTER_SUBGRAPH_ORDER_URL: httpUrl('http://127.0.0.1:4004/graphql'),
  AUTH_JWKS_URL: httpUrl('http://127.0.0.1:4002/.well-known/jwks.json'),
  AUTH_ISSUER: z.string().min(1).default('shop-user-subgraph'),
  AUTH_AUDIENCE: z.string().min(1).default('shop-supergraph'),
  ROUTER_SIGNING_SECRETS: list(),
  SECRETS_DIR: z.string().default('.secrets'),
  ROUTER_CORS_ORIGINS: list().pipe(z.array(origin)),
  ROUTER_MAX_BODY_BYTES: positiveInt(100_000),
  ROUTER_MAX_DEPTH: positiveInt(12),
  ROUTER_MAX_ALIASES: positiveInt(30),
  ROUTER_MAX_ROOT_FIELDS: positiveInt(10),
  ROUTER_MAX_TOKENS: positiveInt(3_000),
  ROUTER_MAX_COST: positiveInt(10_000),
  ROUTER_COST_DEFAULT_LIST_SIZE: positiveInt(10),
  ROUTER_COST_WEIGHTS: costWeights,
  /** Defaults to on everywhere but production. */
  ROUTER_INTROSPECTION: booleanFlag,
  /** The Apollo Sandbox landing page; defaults to on everywhere but production. */
  ROUTER_SANDBOX: booleanFlag,
  /** Defaults to `off` in development and test, `audit` in production. */
  ROUTER_PERSISTED_QUERIES_MODE: z.enum(PERSISTED_QUERY_MODES).optional(),
  /** Manifest files, or directories of *.json manifests. */
  ROUTER_PERSISTED_QUERIES_MANIFESTS: list([resolve(__dirname, '../../schema/persisted-queries')]).transform((paths) => paths.map((p) => resolve(p))),
  ROUTER_APQ_TTL_SECONDS: positiveInt(86_400),
  ROUTER_APQ_MAX_BYTES: positiveInt(20_000),
  /** `false` turns the router's entity cache off, as it turns off the subgraphs' caches. */
  CACHE_ENABLED: booleanFlag.transform((value) => value ?? true),
  /** Subgraphs whose public entities (Cache-Control: public) the router keeps in memory; empty for none. */
  ROUTER_ENTITY_CACHE_SUBGRAPHS: list(['product']).pipe(z.array(z.enum(SUBGRAPH_NAMES))),
  /** Longest an entity is kept in the router's memory (also never past its subgraph's max-age); 0 turns that cache off. */
  ROUTER_ENTITY_CACHE_TTL_SECONDS: nonNegativeInt(5),
  ROUTER_ENTITY_CACHE_MAX_ENTRIES: positiveInt(10_000),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: z.string().default(''),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
});

export type RouterConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  const config = parseEnv(routerEnvSchema, env);
  return {
    ...config,
    ROUTER_PERSISTED_QUERIES_MODE: config.ROUTER_PERSISTED_QUERIES_MODE ?? (config.NODE_ENV === 'production' ? 'audit' : 'off'),
  };
}

/** Subgraph name (as composed into the supergraph) → the URL this router sends it requests at. */
export function subgraphUrls(config: RouterConfig): Record<string, string> {
  return {
    product: config.ROUTER_SUBGRAPH_PRODUCT_URL,
    user: config.ROUTER_SUBGRAPH_USER_URL,
    cart: config.ROUTER_SUBGRAPH_CART_URL,
    order: config.ROUTER_SUBGRAPH_ORDER_URL,
  };
}
