import type { Kysely } from 'kysely';
import { launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime';
import { CartService } from './cart/cart.service';
import type { CartDatabase } from './cart/cart.table';
import type { CartConfig } from './config';
import { CartCaches, createContext } from './context';
import { cartHandlers } from './events/cart.handlers';
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
  const cartsOn = (db: Kysely<CartDatabase>) => new CartService(db, caches.carts, config.SHOP_CURRENCY);
  const carts = cartsOn(deps.db);
  const served = await launchSubgraph(deps, async () => {
    deps.bus.consume('cart', deps.db, cartHandlers({ prices: (ids) => caches.prices.invalidate(ids), cart: (userId) => caches.carts.invalidate([userId]) }));
    // Nothing in the cart writes events yet; the relay runs so a future one is never stranded.
    deps.relay.start();
    return serveSubgraph({ deps, schema: await buildCartSchema(), context: createContext(caches, cartsOn) });
  });
  return {
    ...served,
    deps,
    carts,
  };
}
