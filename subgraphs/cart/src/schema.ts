import { buildFederatedSchema } from '@shop/runtime/subgraph';
import { CartResolver } from './cart/cart.resolver';
import { resolveUserReference } from './user/user.reference';
import { UserCartResolver } from './user/user.resolver';
import { User } from './user/user.type';

export function buildCartSchema() {
  return buildFederatedSchema({
    resolvers: [CartResolver, UserCartResolver],
    orphanedTypes: [User],
    references: { User: { __resolveReference: resolveUserReference } },
  });
}
