import type DataLoader from 'dataloader';
import type { Identity } from '@shop/runtime';
import type { ProductCaches } from './product/product.loaders';
import type { ProductService } from './product/product.service';
import type { ProductRow } from './product/product.table';

export interface ProductContext {
  identity: Identity | null;
  products: ProductService;
  loaders: {
    productById: DataLoader<string, ProductRow | null>;
    productBySku: DataLoader<string, ProductRow | null>;
  };
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(products: ProductService, caches: ProductCaches) {
  return (identity: Identity | null): ProductContext => {
    const { byId, bySku } = caches.loaders();
    return { identity, products, loaders: { productById: byId, productBySku: bySku } };
  };
}
