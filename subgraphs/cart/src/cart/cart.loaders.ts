import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { RequestScope } from '@shop/runtime';
import { byKey, cachedLoader, type EntityCache, type SubgraphDeps } from '@shop/runtime/subgraph';
import { findProductPrices, type ProductPriceRow } from '@shop/domain';
import { findCartsByUserIds } from './cart.repository';
import type { CartDatabase, StoredCart } from './cart.table';

export interface CartLoaders {
  /** The cart row with all its lines, many users in one statement. */
  cartByUserId: DataLoader<string, StoredCart | null>;
  priceByProductId: DataLoader<string, ProductPriceRow | null>;
}

/**
 * Process-wide Redis caches behind the loaders: each user's cart (keyed by user id, read only
 * after the caller was authorised for that user) and the price projection. Loaders built
 * from them are per request.
 */
export class CartCaches {
  readonly carts: EntityCache<StoredCart>;
  readonly prices: EntityCache<ProductPriceRow>;

  constructor(private readonly deps: Pick<SubgraphDeps<CartDatabase>, 'entityCache' | 'env'>) {
    this.carts = deps.entityCache<StoredCart>('cart');
    this.prices = deps.entityCache<ProductPriceRow>('productPrice', { shared: true });
  }

  /** One request's loaders, reading through `db` (the request's handle) and counting into `scope`. */
  loaders(db: Kysely<CartDatabase>, scope: RequestScope): CartLoaders {
    const enabled = this.deps.env.CACHE_ENABLED;
    return {
      cartByUserId: cachedLoader({
        cache: this.carts,
        load: byKey(
          (userIds) => findCartsByUserIds(db, userIds),
          (cart) => cart.userId,
        ),
        enabled,
        scope,
      }),
      priceByProductId: cachedLoader({
        cache: this.prices,
        load: byKey(
          (productIds) => findProductPrices(db, productIds),
          (price) => price.product_id,
        ),
        enabled,
        scope,
      }),
    };
  }
}
