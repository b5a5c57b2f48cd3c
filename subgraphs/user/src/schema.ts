import { buildFederatedSchema } from '@shop/runtime/subgraph';
import { AuthResolver } from './auth/auth.resolver';
import { resolveUserReference } from './user/user.reference';
import { UserResolver } from './user/user.resolver';

export function buildUserSchema() {
  return buildFederatedSchema({
    resolvers: [UserResolver, AuthResolver],
    references: { User: { __resolveReference: resolveUserReference } },
  });
}
