import { buildFederatedSchema } from '@shop/runtime/subgraph';
import { resolveProductReference } from './product/product.reference';
import { ProductResolver } from './product/product.resolver';

export function buildProductSchema() {
  return buildFederatedSchema({
    resolvers: [ProductResolver],
    references: { Product: { __resolveReference: resolveProductReference } },
  });
}
