import { requestContext, type ServicesOn as ServicesFactory, type SubgraphContext } from '@shop/runtime/subgraph';
import type { CartCaches, CartLoaders } from './cart/cart.loaders';
import type { CartService } from './cart/cart.service';
import type { CartDatabase } from './cart/cart.table';

/** Builds this subgraph's services on one database handle (a request's, or the process's). */
export type ServicesOn = ServicesFactory<CartDatabase, { carts: CartService }>;

export type CartContext = SubgraphContext<ReturnType<ServicesOn>, CartLoaders>;

/** Per request: the caller, its scope, the services and fresh loaders on the request's own database handle. */
export const createContext = (caches: CartCaches, servicesOn: ServicesOn) => requestContext(servicesOn, (db, scope) => caches.loaders(db, scope));
