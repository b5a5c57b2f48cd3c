import * as cart from '@shop/cart-subgraph';
import * as order from '@shop/order-subgraph';
import * as product from '@shop/product-subgraph';
import * as user from '@shop/user-subgraph';
import type { ServiceEnv } from '@shop/runtime';
import type { migrateToLatest } from '@shop/runtime/subgraph';

export const SUBGRAPH_NAMES = ['product', 'user', 'cart', 'order'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The settings the scripts read; each subgraph's config has these and more. */
export type SubgraphConfig = Pick<ServiceEnv, 'NODE_ENV' | 'HOST' | 'PORT' | 'POSTGRES_URL' | 'POSTGRES_DB' | 'SHUTDOWN_DRAIN_SECONDS'>;

export interface SubgraphModule {
  parseConfig(env: NodeJS.ProcessEnv): SubgraphConfig;
  migrations: Parameters<typeof migrateToLatest>[1];
}

export const SUBGRAPH_MODULES: Record<SubgraphName, SubgraphModule> = { product, user, cart, order };

/** The ports of docs/architecture.md; the router's supergraph points at these. */
export const SUBGRAPH_PORTS: Record<SubgraphName, number> = { product: 4001, user: 4002, cart: 4003, order: 4004 };
export const ROUTER_PORT = 4000;

/**
 * The scripts run every subgraph from one shell, so a plain PORT or POSTGRES_DB would land
 * on all of them at once. They are dropped here; PRODUCT_POSTGRES_DB, CART_PORT and so on
 * set them for one service.
 */
export function serviceEnv(name: SubgraphName | 'router', env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PORT: _port, POSTGRES_DB: _db, ...shared } = env;
  const prefix = name.toUpperCase();
  const own: NodeJS.ProcessEnv = {};
  if (env[`${prefix}_PORT`] !== undefined) own.PORT = env[`${prefix}_PORT`];
  if (name !== 'router' && env[`${prefix}_POSTGRES_DB`] !== undefined) own.POSTGRES_DB = env[`${prefix}_POSTGRES_DB`];
  return { ...shared, ...own };
}
