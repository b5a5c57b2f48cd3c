import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import type { GraphQLResolveInfo } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';

/**
 * Product data is the same for every caller, so the router may let a CDN keep it briefly.
 * Short, because stock changes with every order; a price change reaches caches within this.
 */
export const PUBLIC_PRODUCT_MAX_AGE_SECONDS = 30;

export function hintPublicProduct(info: GraphQLResolveInfo): void {
  maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: PUBLIC_PRODUCT_MAX_AGE_SECONDS, scope: 'PUBLIC' });
}

/**
 * Apollo gives every field that returns an object a max age of 0 unless it is hinted, so
 * each object-valued field on the way to product data carries this (scalars inherit).
 */
export const PublicProductData: MiddlewareFn = ({ info }, next) => {
  hintPublicProduct(info);
  return next();
};
