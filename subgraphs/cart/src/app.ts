import { consumeWithInbox, launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime/subgraph';
import { CartCaches } from './cart/cart.loaders';
import { CartService } from './cart/cart.service';
import type { CartDatabase } from './cart/cart.table';
import type { CartConfig } from './config';
import { createContext, type ServicesOn } from './context';
import { productHandlers } from './events/product.handlers';
import { stockHandlers } from './events/stock.handlers';
import { migrations } from './migrations';
import { buildCartSchema } from './schema';

export interface CartApp {
  url: string;
  deps: SubgraphDeps<CartDatabase>;
  carts: CartService;
  stop(): Promise<void>;
}

/** Composition root: config → db, redis, events → schema → server, and shutdown in reverse. */
export async function createCartApp(config: CartConfig): Promise<CartApp> {
  const deps = await openSubgraphDeps<CartDatabase>('cart', config, migrations);
  const caches = new CartCaches(deps);
  const servicesOn: ServicesOn = (db) => ({ carts: new CartService(db, caches.carts, config.SHOP_CURRENCY) });
  const { carts } = servicesOn(deps.db, null);
  const served = await launchSubgraph(deps, async () => {
    consumeWithInbox(deps.bus, 'cart', deps.db, {
      ...productHandlers((ids) => caches.prices.invalidate(ids)),
      ...stockHandlers((userId) => caches.carts.invalidate([userId])),
    });
    // Nothing in the cart writes events yet; the relay runs so a future one is never stranded.
    deps.relay.start();
    return serveSubgraph({ deps, schema: await buildCartSchema(), context: createContext(caches, servicesOn) });
  });
  return {
    ...served,
    deps,
    carts,
  };
}
