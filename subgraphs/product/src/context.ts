import type DataLoader from 'dataloader';
import { uniqueLoader, type Identity } from '@shop/runtime';
import type { Kysely } from 'kysely';
import { findProductsByIds, findProductsBySkus } from './product/product.repository';
import type { ProductService } from './product/product.service';
import type { ProductDatabase } from './product/product.table';
import type { Product } from './product/product.type';

export interface ProductContext {
  identity: Identity | null;
  products: ProductService;
  loaders: {
    productById: DataLoader<string, Product | null>;
    productBySku: DataLoader<string, Product | null>;
  };
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(db: Kysely<ProductDatabase>, products: ProductService) {
  return (identity: Identity | null): ProductContext => ({
    identity,
    products,
    loaders: {
      productById: uniqueLoader(async (ids) => (await findProductsByIds(db, ids)).map((r) => products.map(r)), (p) => p.id),
      productBySku: uniqueLoader(async (skus) => (await findProductsBySkus(db, skus)).map((r) => products.map(r)), (p) => p.sku),
    },
  });
}
