import type { EventEnvelope, ProductPriced } from '@shop/contracts';
import { isUuid } from '@shop/runtime';

/** The largest count an event may carry: GraphQL's Int. */
export const MAX_INT = 2_147_483_647;

/** A whole number from `min` to GraphQL's Int range, as event payloads carry counts. */
export const isCount = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_INT;

/** A malformed payload throws: the bus retries it and then parks it in the dead-letter queue. */
export function parseProductPriced(event: EventEnvelope): ProductPriced {
  const p = event.payload as Partial<ProductPriced>;
  if (
    typeof p.productId !== 'string' ||
    !isUuid(p.productId) ||
    typeof p.sku !== 'string' ||
    typeof p.name !== 'string' ||
    !isCount(p.priceCents, 1) ||
    !isCount(p.version, 1)
  ) {
    throw new Error(`malformed ${event.type} payload in event ${event.id}`);
  }
  return { productId: p.productId.toLowerCase(), sku: p.sku, name: p.name, priceCents: p.priceCents, version: p.version };
}
