import { resolve } from 'node:path';
import { z } from 'zod';
import {
  authEnv,
  baseEnv,
  cacheSwitchEnv,
  keyValueList,
  list,
  nonNegativeInt,
  optionalFlag,
  parseEnv,
  positiveInt,
  redisEnv,
  signingEnv,
  url,
} from '@shop/runtime';
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

export const routerEnvSchema = z.object({
  ...baseEnv(4000),
  ...redisEnv,
  ...signingEnv,
  ...authEnv,
  ...cacheSwitchEnv,
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
  ROUTER_CORS_ORIGINS: list().pipe(z.array(origin)),
  ROUTER_MAX_BODY_BYTES: positiveInt(100_000),
  ROUTER_MAX_DEPTH: positiveInt(12),
  ROUTER_MAX_ALIASES: positiveInt(30),
  ROUTER_MAX_ROOT_FIELDS: positiveInt(10),
  ROUTER_MAX_TOKENS: positiveInt(3_000),
  ROUTER_MAX_COST: positiveInt(10_000),
  ROUTER_COST_DEFAULT_LIST_SIZE: positiveInt(10),
  /** `Type.field=weight` pairs, e.g. `Mutation.placeOrder=10,Query.products=2`. */
  ROUTER_COST_WEIGHTS: keyValueList({ key: /[A-Za-z_]\w*\.[A-Za-z_]\w*/, what: 'Type.field=weight (a whole number)' }),
  /** Defaults to on everywhere but production. */
  ROUTER_INTROSPECTION: optionalFlag,
  /** The Apollo Sandbox landing page; defaults to on everywhere but production. */
  ROUTER_SANDBOX: optionalFlag,
  /** Defaults to `off` in development and test, `audit` in production. */
  ROUTER_PERSISTED_QUERIES_MODE: z.enum(PERSISTED_QUERY_MODES).optional(),
  /** Manifest files, or directories of *.json manifests. */
  ROUTER_PERSISTED_QUERIES_MANIFESTS: list([resolve(__dirname, '../../schema/persisted-queries')]).transform((paths) => paths.map((p) => resolve(p))),
  ROUTER_APQ_TTL_SECONDS: positiveInt(86_400),
  ROUTER_APQ_MAX_BYTES: positiveInt(20_000),
  /** Subgraphs whose public entities (Cache-Control: public) the router keeps in memory; empty for none. */
  ROUTER_ENTITY_CACHE_SUBGRAPHS: list(['product']).pipe(z.array(z.enum(SUBGRAPH_NAMES))),
  /** Longest an entity is kept in the router's memory (also never past its subgraph's max-age); 0 turns that cache off. */
  ROUTER_ENTITY_CACHE_TTL_SECONDS: nonNegativeInt(5),
  ROUTER_ENTITY_CACHE_MAX_ENTRIES: positiveInt(10_000),
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
