import { consumeWithInbox, launchSubgraph, openSubgraphDeps, serveSubgraph, type SubgraphDeps } from '@shop/runtime/subgraph';
import type { OrderConfig } from './config';
import { createContext, type ServicesOn } from './context';
import { productHandlers } from './events/product.handlers';
import { stockHandlers } from './events/stock.handlers';
import { migrations } from './migrations';
import { OrderCaches } from './order/order.loaders';
import { OrderService } from './order/order.service';
import type { OrderDatabase } from './order/order.table';
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
  const servicesOn: ServicesOn = (db, traceparent) => ({ orders: new OrderService(db, deps.relay, caches, config.SHOP_CURRENCY, traceparent) });
  const { orders } = servicesOn(deps.db, null);
  const served = await launchSubgraph(deps, async () => {
    consumeWithInbox(deps.bus, 'order', deps.db, {
      ...productHandlers(),
      ...stockHandlers((ids) => caches.rows.invalidate(ids)),
    });
    deps.relay.start();
    return serveSubgraph({ deps, schema: await buildOrderSchema(), context: createContext(caches, servicesOn) });
  });
  return {
    ...served,
    deps,
    orders,
  };
}
