import type DataLoader from 'dataloader';
import { groupedLoader, uniqueLoader, type Identity } from '@shop/runtime';
import type { Kysely } from 'kysely';
import { findLinesByOrderIds, findOrdersByIds } from './order/order.repository';
import type { OrderService } from './order/order.service';
import type { OrderDatabase, OrderLineRow } from './order/order.table';
import type { Order } from './order/order.type';

export interface OrderContext {
  identity: Identity | null;
  orders: OrderService;
  loaders: {
    orderById: DataLoader<string, Order | null>;
    /** Every order's lines on a page in one statement. */
    linesByOrderId: DataLoader<string, OrderLineRow[]>;
  };
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(db: Kysely<OrderDatabase>, orders: OrderService) {
  return (identity: Identity | null): OrderContext => ({
    // Ids compare as lowercase everywhere (Postgres prints uuids that way).
    identity: identity && { ...identity, userId: identity.userId.toLowerCase() },
    orders,
    loaders: {
      orderById: uniqueLoader(async (ids) => (await findOrdersByIds(db, ids)).map((r) => orders.map(r)), (o) => o.id),
      linesByOrderId: groupedLoader((ids) => findLinesByOrderIds(db, ids), (line) => line.order_id),
    },
  });
}
