import type { Kysely } from 'kysely';
import { formatTraceparent, requestDatabase, type Identity, type RequestScope } from '@shop/runtime';
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
export function createContext(db: Kysely<OrderDatabase>, caches: OrderCaches, ordersOn: OrderServiceOn) {
  return (identity: Identity | null, scope: RequestScope): OrderContext => {
    const requestDb = requestDatabase(db, scope);
    return {
      // Ids compare as lowercase everywhere (Postgres prints uuids that way).
      identity: identity && { ...identity, userId: identity.userId.toLowerCase() },
      scope,
      orders: ordersOn(requestDb, formatTraceparent(scope.trace)),
      loaders: caches.loaders(requestDb, scope),
    };
  };
}
