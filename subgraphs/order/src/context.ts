import { requestContext, type ServicesOn as ServicesFactory, type SubgraphContext } from '@shop/runtime/subgraph';
import type { OrderCaches, OrderLoaders } from './order/order.loaders';
import type { OrderService } from './order/order.service';
import type { OrderDatabase } from './order/order.table';

/** Builds this subgraph's services on one database handle (a request's, or the process's). */
export type ServicesOn = ServicesFactory<OrderDatabase, { orders: OrderService }>;

export type OrderContext = SubgraphContext<ReturnType<ServicesOn>, OrderLoaders>;

/** Per request: the caller, its scope, the services and fresh loaders on the request's own database handle. */
export const createContext = (caches: OrderCaches, servicesOn: ServicesOn) => requestContext(servicesOn, (db, scope) => caches.loaders(db, scope));
