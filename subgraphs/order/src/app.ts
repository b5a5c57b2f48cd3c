import { launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime';
import type { OrderConfig } from './config';
import { createContext, type OrderServiceOn } from './context';
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
  const caches = new OrderCaches(deps);
  const ordersOn: OrderServiceOn = (db, traceparent) => new OrderService(db, deps.relay, caches, config.SHOP_CURRENCY, traceparent);
  const orders = ordersOn(deps.db, null);
  const served = await launchSubgraph(deps, async () => {
    deps.bus.consume('order', deps.db, { ...priceHandlers(), ...orderHandlers((ids) => caches.rows.invalidate(ids)) });
    deps.relay.start();
    return serveSubgraph({ deps, schema: await buildOrderSchema(), context: createContext(caches, ordersOn) });
  });
  return {
    ...served,
    deps,
    orders,
  };
}
