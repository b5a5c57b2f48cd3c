import type DataLoader from 'dataloader';
import { byKey, cachedLoader, findProductPrices, type EntityCache, type Identity, type ProductPriceRow, type SubgraphDeps } from '@shop/runtime';
import type { Kysely } from 'kysely';
import { findCartsByUserIds } from './cart/cart.repository';
import type { CartService } from './cart/cart.service';
import type { CartDatabase, StoredCart } from './cart/cart.table';

export interface CartLoaders {
  /** The cart row with all its lines, many users in one statement. */
  cartByUserId: DataLoader<string, StoredCart | null>;
  priceByProductId: DataLoader<string, ProductPriceRow | null>;
}

export interface CartContext {
  identity: Identity | null;
  carts: CartService;
  loaders: CartLoaders;
}

/**
 * Process-wide Redis caches behind the loaders: each user's cart (keyed by user id, read only
 * after the caller was authorised for that user) and the price projection.
 */
export class CartCaches {
  readonly carts: EntityCache<StoredCart>;
  readonly prices: EntityCache<ProductPriceRow>;

  constructor(
    private readonly deps: Pick<SubgraphDeps<CartDatabase>, 'entityCache' | 'env'>,
    private readonly db: Kysely<CartDatabase>,
  ) {
    this.carts = deps.entityCache<StoredCart>('cart');
    this.prices = deps.entityCache<ProductPriceRow>('productPrice');
  }

  loaders(): CartLoaders {
    const enabled = this.deps.env.CACHE_ENABLED;
    return {
      cartByUserId: cachedLoader({
        cache: this.carts,
        load: byKey((userIds) => findCartsByUserIds(this.db, userIds), (cart) => cart.userId),
        enabled,
      }),
      priceByProductId: cachedLoader({
        cache: this.prices,
        load: byKey((productIds) => findProductPrices(this.db, productIds), (price) => price.product_id),
        enabled,
      }),
    };
  }
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(carts: CartService, caches: CartCaches) {
  return (identity: Identity | null): CartContext => ({ identity, carts, loaders: caches.loaders() });
}
