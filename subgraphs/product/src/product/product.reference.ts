import type { GraphQLResolveInfo } from 'graphql';
import { isUuid } from '@shop/runtime';
import type { ProductContext } from '../context';
import { hintPublicProduct } from './product.cache';
import type { Product } from './product.type';

/** The router resolves Product by either key; both go through the request's loaders. */
export async function resolveProductReference(
  reference: { id?: string; sku?: string },
  ctx: ProductContext,
  info: GraphQLResolveInfo,
): Promise<Product | null> {
  hintPublicProduct(info);
  if (reference.id !== undefined) {
    return isUuid(reference.id) ? ctx.products.map(await ctx.loaders.productById.load(reference.id.toLowerCase())) : null;
  }
  if (reference.sku !== undefined) return ctx.products.map(await ctx.loaders.productBySku.load(reference.sku));
  return null;
}
