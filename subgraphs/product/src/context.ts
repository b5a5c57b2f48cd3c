import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Identity, RequestScope, SubgraphRequest } from '@shop/runtime';
import type { ProductCaches } from './product/product.loaders';
import type { ProductService } from './product/product.service';
import type { ProductDatabase, ProductRow } from './product/product.table';

export interface ProductContext {
  identity: Identity | null;
  scope: RequestScope;
  products: ProductService;
  loaders: {
    productById: DataLoader<string, ProductRow | null>;
    productBySku: DataLoader<string, ProductRow | null>;
  };
}

/** Builds the product service for one database handle and, for a request, its trace. */
export type ProductServiceOn = (db: Kysely<ProductDatabase>, traceparent: string | null) => ProductService;

/**
 * Per request: the caller, its scope, and a service and fresh loaders on the request's own
 * database handle (its statements are counted), never shared between users.
 */
export function createContext(caches: ProductCaches, productsOn: ProductServiceOn) {
  return ({ identity, scope, db, traceparent }: SubgraphRequest<ProductDatabase>): ProductContext => {
    const { byId, bySku } = caches.loaders(db, scope);
    return { identity, scope, products: productsOn(db, traceparent), loaders: { productById: byId, productBySku: bySku } };
  };
}
