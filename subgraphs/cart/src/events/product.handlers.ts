import type { Transaction } from 'kysely';
import type { EventEnvelope } from '@shop/contracts';
import type { AfterCommit } from '@shop/runtime/subgraph';
import { parseProductPriced, upsertProductPrices } from '@shop/domain';
import type { CartDatabase } from '../cart/cart.table';

type Trx = Transaction<CartDatabase>;

/**
 * The product subgraph's prices, kept in the cart's projection; each runs in the inbox's
 * transaction. Only a newer version changes the projection: stale and repeated events are
 * no-ops. `invalidate` runs after commit.
 */
export function productHandlers(invalidate: (productIds: string[]) => Promise<void>) {
  const priced = async (trx: Trx, event: EventEnvelope): Promise<AfterCommit | void> => {
    const product = parseProductPriced(event);
    if ((await upsertProductPrices(trx, [product])) > 0) return () => invalidate([product.productId]);
  };
  return {
    'product.created': priced,
    'product.price-changed': priced,
  };
}
