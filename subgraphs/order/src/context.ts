import type { Identity } from '@shop/runtime';
import type { OrderCaches, OrderLoaders } from './order/order.loaders';
import type { OrderService } from './order/order.service';

export interface OrderContext {
  identity: Identity | null;
  orders: OrderService;
  loaders: OrderLoaders;
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(orders: OrderService, caches: OrderCaches) {
  return (identity: Identity | null): OrderContext => ({
    // Ids compare as lowercase everywhere (Postgres prints uuids that way).
    identity: identity && { ...identity, userId: identity.userId.toLowerCase() },
    orders,
    loaders: caches.loaders(),
  });
}
