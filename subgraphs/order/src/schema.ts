import { buildFederatedSchema } from '@shop/runtime/subgraph';
import { resolveOrderReference } from './order/order.reference';
import { OrderResolver } from './order/order.resolver';
import { Product } from './order/order.type';
import { resolveUserReference } from './user/user.reference';
import { UserResolver } from './user/user.resolver';

export function buildOrderSchema() {
  return buildFederatedSchema({
    resolvers: [OrderResolver, UserResolver],
    orphanedTypes: [Product],
    references: {
      Order: { __resolveReference: resolveOrderReference },
      User: { __resolveReference: resolveUserReference },
    },
  });
}
