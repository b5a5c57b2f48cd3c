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
import { trustedProxies } from './client-address';
import { PERSISTED_QUERY_MODES } from './persisted-queries/policy';

/** The subgraphs whose replicas the config may name (see subgraphUrls). */
const SUBGRAPH_NAMES = ['product', 'user', 'cart', 'order'] as const;

const HTTP_PROTOCOLS = ['http:', 'https:'];
const httpUrl = (fallback: string) => url(fallback, HTTP_PROTOCOLS);

function isHttpUrl(value: string): boolean {
  try {
    return HTTP_PROTOCOLS.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * A subgraph's replicas: comma-separated http(s) URLs, each named once. Optional, with no
 * default: unset or blank, the URL in the supergraph is used.
 */
const replicaUrls = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const urls = (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (urls.length === 0) return undefined;
    const seen = new Set<string>();
    for (const entry of urls) {
      // A space inside would pass as part of a path: most likely a list separated the wrong way.
      const problem = !isHttpUrl(entry)
        ? 'must be a URL starting with http: or https://'
        : /\s/.test(entry)
          ? 'must be a URL without spaces (separate replicas with commas)'
          : seen.has(new URL(entry).href)
            ? 'is named twice'
            : null;
      if (problem) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `'${entry}' ${problem}` });
        return z.NEVER;
      }
      seen.add(new URL(entry).href);
    }
    return urls;
  });

/** A whole number above 0, or unset (blank counts as unset). */
const optionalPositiveInt = z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int().positive().optional());

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
  ROUTER_SUBGRAPH_PRODUCT_URL: replicaUrls,
  ROUTER_SUBGRAPH_USER_URL: replicaUrls,
  ROUTER_SUBGRAPH_CART_URL: replicaUrls,
  ROUTER_SUBGRAPH_ORDER_URL: replicaUrls,
  /** Longest wait for a subgraph replica's answer headers, then between body chunks; past it, the fetch failed. */
  ROUTER_SUBGRAPH_TIMEOUT_MS: positiveInt(5_000),
  /** Per subgraph, instead of ROUTER_SUBGRAPH_TIMEOUT_MS; unset, that one. */
  ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: optionalPositiveInt,
  ROUTER_SUBGRAPH_USER_TIMEOUT_MS: optionalPositiveInt,
  ROUTER_SUBGRAPH_CART_TIMEOUT_MS: optionalPositiveInt,
  ROUTER_SUBGRAPH_ORDER_TIMEOUT_MS: optionalPositiveInt,
  /** The whole client request's deadline: fetches still out then are aborted, and their fields get TIMEOUT errors. */
  ROUTER_REQUEST_TIMEOUT_MS: positiveInt(10_000),
  /** Consecutive failures or timeouts of a subgraph replica that open its circuit breaker. */
  ROUTER_BREAKER_FAILURES: positiveInt(5),
  /** How long an open breaker keeps fetches off its replica before one probe fetch may go (half-open). */
  ROUTER_BREAKER_OPEN_SECONDS: positiveInt(5),
  AUTH_JWKS_URL: httpUrl('http://127.0.0.1:4002/.well-known/jwks.json'),
  /** How often the JWKS is fetched again in the background. */
  AUTH_JWKS_REFRESH_SECONDS: positiveInt(600),
  /** How long the last good JWKS is used while fetching it fails. */
  AUTH_JWKS_STALE_SECONDS: positiveInt(86_400),
  ROUTER_CORS_ORIGINS: list().pipe(z.array(origin)),
  /** Addresses or CIDRs whose X-Forwarded-For is believed; none by default (`npm start --replicas` sets loopback). */
  ROUTER_TRUSTED_PROXIES: list().superRefine((entries, ctx) => {
    try {
      trustedProxies(entries);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
    }
  }),
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
  /** Most APQ entries kept in Redis; the oldest registrations go first. */
  ROUTER_APQ_MAX_ENTRIES: positiveInt(10_000),
  /** Most bytes of APQ documents kept in Redis in all (20 MB); the oldest registrations go first. */
  ROUTER_APQ_MAX_TOTAL_BYTES: positiveInt(20_000_000),
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

/**
 * Subgraph name (as composed into the supergraph) → the URLs of the replicas this router sends
 * it requests at, for those configured; any other subgraph is reached at its URL in the supergraph.
 */
export function subgraphUrls(config: RouterConfig): Partial<Record<(typeof SUBGRAPH_NAMES)[number], readonly string[]>> {
  const configured = {
    product: config.ROUTER_SUBGRAPH_PRODUCT_URL,
    user: config.ROUTER_SUBGRAPH_USER_URL,
    cart: config.ROUTER_SUBGRAPH_CART_URL,
    order: config.ROUTER_SUBGRAPH_ORDER_URL,
  };
  return Object.fromEntries(Object.entries(configured).filter(([, urls]) => urls !== undefined));
}

/**
 * The subgraph timeout (ms) for each subgraph given its own (ROUTER_SUBGRAPH_<NAME>_TIMEOUT_MS),
 * and `default` (ROUTER_SUBGRAPH_TIMEOUT_MS) for any other.
 */
export function subgraphTimeouts(config: RouterConfig): { default: number; subgraphs: Readonly<Record<string, number>> } {
  const configured = {
    product: config.ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS,
    user: config.ROUTER_SUBGRAPH_USER_TIMEOUT_MS,
    cart: config.ROUTER_SUBGRAPH_CART_TIMEOUT_MS,
    order: config.ROUTER_SUBGRAPH_ORDER_TIMEOUT_MS,
  };
  return {
    default: config.ROUTER_SUBGRAPH_TIMEOUT_MS,
    subgraphs: Object.fromEntries(Object.entries(configured).filter((entry): entry is [string, number] => entry[1] !== undefined)),
  };
}
