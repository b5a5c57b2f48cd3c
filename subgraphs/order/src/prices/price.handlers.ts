import type { Transaction } from 'kysely';
import type { EventEnvelope, ProductPriced } from '@shop/contracts';
import { isUuid } from '@shop/runtime';
import type { OrderDatabase } from '../order/order.table';
import { upsertProductPrices } from './price.repository';

type Trx = Transaction<OrderDatabase>;

function parsePriced(payload: unknown): ProductPriced {
  const p = payload as Partial<ProductPriced>;
  const valid =
    typeof p.productId === 'string' &&
    isUuid(p.productId) &&
    typeof p.sku === 'string' &&
    typeof p.name === 'string' &&
    Number.isInteger(p.priceCents) &&
    (p.priceCents as number) > 0 &&
    Number.isInteger(p.version);
  // Thrown, it is retried and then dead-lettered: a malformed event is parked, not guessed at.
  if (!valid) throw new Error('malformed product price payload');
  return { ...(p as ProductPriced), productId: p.productId!.toLowerCase() };
}

/** Keeps the price projection current; only a newer version replaces a row. */
export function priceHandlers() {
  const upsert = async (trx: Trx, event: EventEnvelope): Promise<void> => {
    await upsertProductPrices(trx, [parsePriced(event.payload)]);
  };
  return {
    'product.created': upsert,
    'product.price-changed': upsert,
  };
}
