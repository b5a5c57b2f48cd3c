import { consumeWithInbox, launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime/subgraph';
import type { ProductConfig } from './config';
import { createContext, type ServicesOn } from './context';
import { orderHandlers } from './events/order.handlers';
import { migrations } from './migrations';
import { ProductCaches } from './product/product.loaders';
import { PUBLIC_PRODUCT_MAX_AGE_SECONDS } from './product/product.rules';
import { ProductService } from './product/product.service';
import type { ProductDatabase } from './product/product.table';
import { buildProductSchema } from './schema';

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
  const servicesOn: ServicesOn = (db, traceparent) => ({ products: new ProductService(db, deps.relay, caches, config.SHOP_CURRENCY, traceparent) });
  const { products } = servicesOn(deps.db, null);
  const served = await launchSubgraph(deps, async () => {
    consumeWithInbox(
      deps.bus,
      'product',
      deps.db,
      orderHandlers(deps.relay, (ids) => caches.invalidate(ids)),
    );
    deps.relay.start();
    return serveSubgraph({
      deps,
      schema: await buildProductSchema(),
      context: createContext(caches, servicesOn),
      publicMaxAgeSeconds: PUBLIC_PRODUCT_MAX_AGE_SECONDS,
    });
  });
  return {
    ...served,
    deps,
    products,
  };
}
