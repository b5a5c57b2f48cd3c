import { resolve } from 'node:path';
import { z } from 'zod';
import { list, logLevel, nodeEnv, parseEnv, port, positiveInt, url } from '@shop/runtime';

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
  /** Defaults to on everywhere but production. */
  ROUTER_INTROSPECTION: booleanFlag,
});

export type RouterConfig = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(routerEnvSchema, env);
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
