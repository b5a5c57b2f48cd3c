import { isUuid } from '@shop/runtime';
import type { ProductContext } from '../context';
import type { Product } from './product.type';

/** The router resolves Product by either key; both go through the request's loaders. */
export async function resolveProductReference(reference: { id?: string; sku?: string }, ctx: ProductContext): Promise<Product | null> {
  if (reference.id !== undefined) {
    return isUuid(reference.id) ? ctx.products.map(await ctx.loaders.productById.load(reference.id.toLowerCase())) : null;
  }
  if (reference.sku !== undefined) return ctx.products.map(await ctx.loaders.productBySku.load(reference.sku));
  return null;
}
