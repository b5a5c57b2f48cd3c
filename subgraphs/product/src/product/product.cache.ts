/**
 * Product data is the same for every caller, so the router may let a CDN keep it briefly.
 * Short, because stock changes with every order; a price change reaches caches within this.
 * Every query answer of this subgraph is product data, so it is given per answer (see
 * publicQueryCachePlugin), not per field.
 */
export const PUBLIC_PRODUCT_MAX_AGE_SECONDS = 30;
