import type { Transaction } from 'kysely';
import type { EventEnvelope, OrderLine } from '@shop/contracts';
import { continueTraceparent, isUuid } from '@shop/runtime';
import { writeEvent, type AfterCommit, type OutboxRelay } from '@shop/runtime/subgraph';
import type { ProductDatabase } from '../product/product.table';
import { adjustStock, findReservation, insertReservation, lockOrder, lockStock, setReservationStatus } from '../reservation/reservation.repository';

type Trx = Transaction<ProductDatabase>;

/**
 * Stock reservation for orders, all lines or none. Both handlers lock the order first, so a
 * cancel and a placement of the same order never interleave; the reservation row records
 * what is held, so a release gives back exactly that, once.
 */
export function orderHandlers(relay: OutboxRelay, onStockChanged: (productIds: string[]) => Promise<void> | void) {
  // Invalidate before publishing: whoever hears of the reservation must read the new stock.
  const afterCommit =
    (productIds: string[]): AfterCommit =>
    async () => {
      await onStockChanged(productIds);
      relay.kick();
    };

  return {
    async 'order.placed'(trx: Trx, event: EventEnvelope): Promise<AfterCommit | void> {
      const { orderId, userId, lines } = event.payload as EventEnvelope<'order.placed'>['payload'];
      await lockOrder(trx, orderId);
      if (await findReservation(trx, orderId)) return; // already decided, or cancelled first
      const failure = await tryReserve(trx, lines);
      await insertReservation(trx, { orderId, userId, status: failure ? 'failed' : 'held', lines });
      if (failure) {
        await writeEvent(trx, 'stock.reservation-failed', orderId, { orderId, userId, lines, reason: failure }, 1, continueTraceparent(event.traceparent));
        return afterCommit([]);
      }
      await writeEvent(trx, 'stock.reserved', orderId, { orderId, userId, lines }, 1, continueTraceparent(event.traceparent));
      return afterCommit(lines.map((l) => l.productId));
    },

    async 'order.cancelled'(trx: Trx, event: EventEnvelope): Promise<AfterCommit | void> {
      const { orderId, userId } = event.payload as EventEnvelope<'order.cancelled'>['payload'];
      await lockOrder(trx, orderId);
      const reservation = await findReservation(trx, orderId);
      if (!reservation) {
        // The cancel overtook the order: leave a marker so the placement reserves nothing.
        await insertReservation(trx, { orderId, userId, status: 'cancelled', lines: [] });
        return;
      }
      if (reservation.status !== 'held') return;
      const held = mergeLines(reservation.lines);
      await lockStock(trx, [...held.keys()].sort());
      await adjustStock(
        trx,
        [...held].map(([productId, quantity]) => ({ productId, delta: quantity })),
      );
      await setReservationStatus(trx, orderId, 'released');
      return afterCommit(reservation.lines.map((l) => l.productId));
    },
  };
}

/** Takes stock for every line, or returns why it cannot (and takes nothing). */
async function tryReserve(trx: Trx, lines: OrderLine[]): Promise<string | null> {
  if (lines.length === 0 || lines.some((l) => !isUuid(l.productId) || !Number.isInteger(l.quantity) || l.quantity < 1)) {
    return 'invalid order lines';
  }
  const wanted = mergeLines(lines);
  const stock = await lockStock(trx, [...wanted.keys()].sort());
  for (const [productId, quantity] of wanted) {
    const available = stock.get(productId);
    if (available === undefined) return `unknown product ${productId}`;
    if (available < quantity) return `insufficient stock for product ${productId}`;
  }
  await adjustStock(
    trx,
    [...wanted].map(([productId, quantity]) => ({ productId, delta: -quantity })),
  );
  return null;
}

/** Quantities per product: one UPDATE row per product, however the lines were split. */
function mergeLines(lines: OrderLine[]): Map<string, number> {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  return merged;
}
