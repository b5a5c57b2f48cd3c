import type { Kysely } from 'kysely';
import { BadUserInputError, parseId } from '@shop/runtime';
import { Money, type EntityCache } from '@shop/runtime/subgraph';
import { findProductPrices, lineCents, sumCents, type ProductPriceRow } from '@shop/domain';
import type { CartLoaders } from './cart.loaders';
import * as repository from './cart.repository';
import { LIMITS, checkResultingCart, quantityInRange, type LockedLine } from './cart.rules';
import type { CartDatabase, StoredCart } from './cart.table';
import type { Cart, CartItem } from './cart.type';

/** Maps a stored cart and the prices of its products to the GraphQL shape. */
export function toCart(userId: string, stored: StoredCart | null, prices: ReadonlyMap<string, ProductPriceRow>, currency: string): Cart {
  const items: CartItem[] = [];
  for (const line of stored?.lines ?? []) {
    const price = prices.get(line.productId);
    // Lines are only added for priced products and prices are never deleted; skip rather than fail.
    if (!price) continue;
    items.push({
      product: { id: line.productId },
      quantity: line.quantity,
      unitPrice: Money.of(price.price_cents, currency),
      lineTotal: Money.of(lineCents(price.price_cents, line.quantity), currency),
    });
  }
  return {
    id: userId,
    items,
    totalQuantity: items.reduce((sum, item) => sum + item.quantity, 0),
    subtotal: Money.of(sumCents(items.map((item) => item.lineTotal.amountCents)), currency),
    updatedAt: stored?.updatedAt ?? null,
  };
}

const toLocked = (rows: Array<{ product_id: string; quantity: number; price_cents: number | null }>): LockedLine[] =>
  rows.map((r) => ({ productId: r.product_id, quantity: r.quantity, priceCents: r.price_cents }));

/** Cart reads through the request's loaders; each write locks the caller's cart in its transaction. */
export class CartService {
  constructor(
    private readonly db: Kysely<CartDatabase>,
    private readonly cartCache: EntityCache<StoredCart>,
    readonly currency: string,
  ) {}

  async read(loaders: CartLoaders, userId: string): Promise<Cart> {
    const stored = await loaders.cartByUserId.load(userId);
    const loaded = await loaders.priceByProductId.loadMany((stored?.lines ?? []).map((l) => l.productId));
    const prices = new Map<string, ProductPriceRow>();
    for (const price of loaded) {
      if (price instanceof Error) throw price;
      if (price) prices.set(price.product_id, price);
    }
    return toCart(userId, stored, prices, this.currency);
  }

  async addItem(loaders: CartLoaders, userId: string, productId: string, quantity: number): Promise<Cart> {
    const id = parseId(productId, 'productId');
    quantityInRange(quantity, LIMITS.lineQuantity);
    await this.db.transaction().execute(async (trx) => {
      const price = await this.requirePrice(trx, id);
      await repository.lockCart(trx, userId);
      const lines = toLocked(await repository.findLockedLines(trx, userId));
      const next = (lines.find((l) => l.productId === id)?.quantity ?? 0) + quantity;
      checkResultingCart(lines, id, next, price.price_cents);
      await repository.upsertLine(trx, userId, id, next);
    });
    return this.reread(loaders, userId);
  }

  async setQuantity(loaders: CartLoaders, userId: string, productId: string, quantity: number): Promise<Cart> {
    const id = parseId(productId, 'productId');
    quantityInRange(quantity, LIMITS.setQuantity);
    await this.db.transaction().execute(async (trx) => {
      if (quantity === 0) {
        await repository.lockCart(trx, userId);
        await repository.deleteLine(trx, userId, id);
        return;
      }
      const price = await this.requirePrice(trx, id);
      await repository.lockCart(trx, userId);
      const lines = toLocked(await repository.findLockedLines(trx, userId));
      checkResultingCart(lines, id, quantity, price.price_cents);
      await repository.upsertLine(trx, userId, id, quantity);
    });
    return this.reread(loaders, userId);
  }

  async removeItem(loaders: CartLoaders, userId: string, productId: string): Promise<Cart> {
    const id = parseId(productId, 'productId');
    await this.db.transaction().execute(async (trx) => {
      await repository.lockCart(trx, userId);
      await repository.deleteLine(trx, userId, id);
    });
    return this.reread(loaders, userId);
  }

  async clear(loaders: CartLoaders, userId: string): Promise<Cart> {
    await this.db.transaction().execute(async (trx) => {
      await repository.lockCart(trx, userId);
      await repository.deleteAllLines(trx, userId);
    });
    return this.reread(loaders, userId);
  }

  private async requirePrice(db: Kysely<CartDatabase>, productId: string): Promise<ProductPriceRow> {
    const [price] = await findProductPrices(db, [productId]);
    if (!price) throw new BadUserInputError('That product is not known (yet) to the cart.', 'productId');
    return price;
  }

  /** After a write has committed, the cached copies of the cart (Redis and this request's) are stale. */
  private async reread(loaders: CartLoaders, userId: string): Promise<Cart> {
    await this.cartCache.invalidate([userId]);
    loaders.cartByUserId.clear(userId);
    return this.read(loaders, userId);
  }
}
