import { launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime';
import type { ProductConfig } from './config';
import { createContext, type ProductServiceOn } from './context';
import { migrations } from './migrations';
import { PUBLIC_PRODUCT_MAX_AGE_SECONDS } from './product/product.cache';
import { ProductCaches } from './product/product.loaders';
import { ProductService } from './product/product.service';
import type { ProductDatabase } from './product/product.table';
import { buildProductSchema } from './schema';
import { stockHandlers } from './stock/stock.handlers';

export interface ProductApp {
  url: string;
  deps: SubgraphDeps<ProductDatabase>;
  products: ProductService;
  stop(): Promise<void>;
}

/** Composition root: config → db, redis, events → schema → server, and shutdown in reverse. */
export async function createProductApp(config: ProductConfig): Promise<ProductApp> {
  const deps = await openSubgraphDeps<ProductDatabase>('product', config, migrations);
  const caches = new ProductCaches(deps);
  const productsOn: ProductServiceOn = (db, traceparent) => new ProductService(db, deps.relay, caches, config.SHOP_CURRENCY, traceparent);
  const products = productsOn(deps.db, null);
  const served = await launchSubgraph(deps, async () => {
    deps.bus.consume('product', deps.db, stockHandlers(deps.relay, (ids) => caches.invalidate(ids)));
    deps.relay.start();
    return serveSubgraph({ deps, schema: await buildProductSchema(), context: createContext(caches, productsOn), publicMaxAgeSeconds: PUBLIC_PRODUCT_MAX_AGE_SECONDS });
  });
  return {
    ...served,
    deps,
    products,
  };
}
