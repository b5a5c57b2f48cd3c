import type { Transaction } from 'kysely';
import type { EventEnvelope } from '@shop/contracts';
import { parseProductPriced, upsertProductPrices } from '@shop/domain';
import type { OrderDatabase } from '../order/order.table';

type Trx = Transaction<OrderDatabase>;

/** Keeps the order's price projection current; only a newer version replaces a row. */
export function productHandlers() {
  const upsert = async (trx: Trx, event: EventEnvelope): Promise<void> => {
    await upsertProductPrices(trx, [parseProductPriced(event)]);
  };
  return {
    'product.created': upsert,
    'product.price-changed': upsert,
  };
}
