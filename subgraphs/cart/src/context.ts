import type DataLoader from 'dataloader';
import { byKey, cachedLoader, findProductPrices, type EntityCache, type Identity, type ProductPriceRow, type RequestScope, type SubgraphDeps, type SubgraphRequest } from '@shop/runtime';
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
  scope: RequestScope;
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
        load: byKey((userIds) => findCartsByUserIds(db, userIds), (cart) => cart.userId),
        enabled,
        scope,
      }),
      priceByProductId: cachedLoader({
        cache: this.prices,
        load: byKey((productIds) => findProductPrices(db, productIds), (price) => price.product_id),
        enabled,
        scope,
      }),
    };
  }
}

/**
 * Per request: the caller, its scope, and a service and fresh loaders on the request's own
 * database handle (its statements are counted), never shared between users.
 */
export function createContext(caches: CartCaches, cartsOn: (db: Kysely<CartDatabase>) => CartService) {
  return ({ identity, scope, db }: SubgraphRequest<CartDatabase>): CartContext => ({ identity, scope, carts: cartsOn(db), loaders: caches.loaders(db, scope) });
}
