import type DataLoader from 'dataloader';
import { uniqueLoader, type Identity } from '@shop/runtime';
import type { Kysely } from 'kysely';
import { findCartsByUserIds } from './cart/cart.repository';
import type { CartService } from './cart/cart.service';
import type { CartDatabase, StoredCart } from './cart/cart.table';
import { findPricesByIds } from './prices/price.repository';
import type { PriceRow } from './prices/price.table';

export interface CartLoaders {
  /** The cart row with all its lines, many users in one statement. */
  cartByUserId: DataLoader<string, StoredCart | null>;
  priceByProductId: DataLoader<string, PriceRow | null>;
}

export interface CartContext {
  identity: Identity | null;
  carts: CartService;
  loaders: CartLoaders;
}

export function createLoaders(db: Kysely<CartDatabase>): CartLoaders {
  return {
    cartByUserId: uniqueLoader((userIds) => findCartsByUserIds(db, userIds), (cart) => cart.userId),
    priceByProductId: uniqueLoader((productIds) => findPricesByIds(db, productIds), (price) => price.product_id),
  };
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(db: Kysely<CartDatabase>, carts: CartService) {
  return (identity: Identity | null): CartContext => ({ identity, carts, loaders: createLoaders(db) });
}
