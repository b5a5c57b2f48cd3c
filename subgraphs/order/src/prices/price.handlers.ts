import type { Transaction } from 'kysely';
import type { EventEnvelope } from '@shop/contracts';
import { parseProductPriced, upsertProductPrices } from '@shop/runtime';
import type { OrderDatabase } from '../order/order.table';

type Trx = Transaction<OrderDatabase>;

/** Keeps the price projection current; only a newer version replaces a row. */
export function priceHandlers() {
  const upsert = async (trx: Trx, event: EventEnvelope): Promise<void> => {
    await upsertProductPrices(trx, [parseProductPriced(event)]);
  };
  return {
    'product.created': upsert,
    'product.price-changed': upsert,
  };
}
