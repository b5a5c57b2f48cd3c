import type { Kysely } from 'kysely';
import type { Identity, RequestScope, SubgraphRequest } from '@shop/runtime';
import type { OrderCaches, OrderLoaders } from './order/order.loaders';
import type { OrderService } from './order/order.service';
import type { OrderDatabase } from './order/order.table';

export interface OrderContext {
  identity: Identity | null;
  scope: RequestScope;
  orders: OrderService;
  loaders: OrderLoaders;
}

/** Builds the order service for one database handle and, for a request, its trace. */
export type OrderServiceOn = (db: Kysely<OrderDatabase>, traceparent: string | null) => OrderService;

/**
 * Per request: the caller, its scope, and a service and fresh loaders on the request's own
 * database handle (its statements are counted), never shared between users.
 */
export function createContext(caches: OrderCaches, ordersOn: OrderServiceOn) {
  return ({ identity, scope, db, traceparent }: SubgraphRequest<OrderDatabase>): OrderContext => ({
    // Ids compare as lowercase everywhere (Postgres prints uuids that way).
    identity: identity && { ...identity, userId: identity.userId.toLowerCase() },
    scope,
    orders: ordersOn(db, traceparent),
    loaders: caches.loaders(db, scope),
  });
}
