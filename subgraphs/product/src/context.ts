import { requestContext, type ServicesOn as ServicesFactory, type SubgraphContext } from '@shop/runtime/subgraph';
import type { ProductCaches, ProductLoaders } from './product/product.loaders';
import type { ProductService } from './product/product.service';
import type { ProductDatabase } from './product/product.table';

/** Builds this subgraph's services on one database handle (a request's, or the process's). */
export type ServicesOn = ServicesFactory<ProductDatabase, { products: ProductService }>;

export type ProductContext = SubgraphContext<ReturnType<ServicesOn>, ProductLoaders>;

/** Per request: the caller, its scope, the services and fresh loaders on the request's own database handle. */
export const createContext = (caches: ProductCaches, servicesOn: ServicesOn) => requestContext(servicesOn, (db, scope) => caches.loaders(db, scope));
