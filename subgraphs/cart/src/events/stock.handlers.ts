import type { Transaction } from 'kysely';
import type { EventEnvelope, OrderLine } from '@shop/contracts';
import { isUuid } from '@shop/runtime';
import type { AfterCommit } from '@shop/runtime/subgraph';
import { isCount, MAX_INT } from '@shop/domain';
import { findCartForUpdate, subtractLines, touchCart } from '../cart/cart.repository';
import type { CartDatabase } from '../cart/cart.table';

type Trx = Transaction<CartDatabase>;

// A malformed payload throws: the bus retries it and then parks it in the dead-letter queue.
function parseReserved(event: EventEnvelope): { userId: string; lines: OrderLine[] } {
  const p = event.payload as Partial<EventEnvelope<'stock.reserved'>['payload']>;
  const valid =
    typeof p.userId === 'string' &&
    isUuid(p.userId) &&
    Array.isArray(p.lines) &&
    p.lines.every((l) => typeof l?.productId === 'string' && isUuid(l.productId) && isCount(l.quantity, 1));
  if (!valid) throw new Error(`malformed ${event.type} payload in event ${event.id}`);
  // One entry per product, so a product ordered on two lines is subtracted once, in full.
  const merged = new Map<string, number>();
  for (const line of p.lines!) {
    const id = line.productId.toLowerCase();
    merged.set(id, Math.min(MAX_INT, (merged.get(id) ?? 0) + line.quantity));
  }
  return { userId: p.userId!.toLowerCase(), lines: [...merged].map(([productId, quantity]) => ({ productId, quantity })) };
}

/**
 * An order's stock was reserved: its quantities leave the user's cart (a line reaching 0
 * goes). Runs in the inbox's transaction; `invalidate` runs after commit.
 */
export function stockHandlers(invalidate: (userId: string) => Promise<void>) {
  return {
    async 'stock.reserved'(trx: Trx, event: EventEnvelope): Promise<AfterCommit | void> {
      const { userId, lines } = parseReserved(event);
      // The same lock as the mutations, so an order never interleaves with a cart write.
      if (!(await findCartForUpdate(trx, userId))) return;
      if ((await subtractLines(trx, userId, lines)) === 0) return;
      await touchCart(trx, userId);
      return () => invalidate(userId);
    },
  };
}
