import { closeSubgraphDeps, openSubgraphDeps, serveSubgraph, type ServedSubgraph, type SubgraphDeps } from '@shop/runtime';
import type { OrderConfig } from './config';
import { createContext } from './context';
import { migrations } from './migrations';
import { orderHandlers } from './order/order.handlers';
import { OrderCaches } from './order/order.loaders';
import { OrderService } from './order/order.service';
import type { OrderDatabase } from './order/order.table';
import { priceHandlers } from './prices/price.handlers';
import { buildOrderSchema } from './schema';

export interface OrderApp {
  url: string;
  deps: SubgraphDeps<OrderDatabase>;
  orders: OrderService;
  stop(): Promise<void>;
}

/** Composition root: config → db, redis, events → schema → server, and shutdown in reverse. */
export async function createOrderApp(config: OrderConfig): Promise<OrderApp> {
  const deps = await openSubgraphDeps<OrderDatabase>('order', config, migrations);
  const caches = new OrderCaches(deps, deps.db);
  const orders = new OrderService(deps.db, deps.relay, caches, config.SHOP_CURRENCY);
  let server: ServedSubgraph | undefined;
  try {
    deps.bus.consume('order', deps.db, { ...priceHandlers(), ...orderHandlers((ids) => caches.rows.invalidate(ids)) });
    deps.relay.start();
    server = await serveSubgraph({ deps, schema: await buildOrderSchema(), context: createContext(orders, caches) });
  } catch (error) {
    await closeSubgraphDeps(deps);
    throw error;
  }
  const served = server;
  return {
    url: served.url,
    deps,
    orders,
    async stop() {
      await served.stop();
      await closeSubgraphDeps(deps);
    },
  };
}
