import type { Transaction } from 'kysely';
import type { EventEnvelope } from '@shop/contracts';
import { isUuid } from '@shop/runtime';
import type { AfterCommit } from '@shop/runtime/subgraph';
import { findOrderForUpdate, setOrderStatus } from '../order/order.repository';
import { nextStatus, type OrderTrigger } from '../order/order.states';
import type { OrderDatabase } from '../order/order.table';

type Trx = Transaction<OrderDatabase>;

/**
 * The product subgraph's verdict on an order. The row is locked so a concurrent cancel and
 * the verdict serialise; the state machine ignores whatever arrives too late (a reservation
 * for a cancelled order stays cancelled: the product subgraph releases that stock itself).
 */
export function stockHandlers(invalidate: (orderIds: string[]) => Promise<void>) {
  const apply =
    (trigger: OrderTrigger) =>
    async (trx: Trx, event: EventEnvelope): Promise<AfterCommit | void> => {
      const { orderId } = event.payload as { orderId?: unknown };
      if (typeof orderId !== 'string' || !isUuid(orderId)) throw new Error(`malformed ${event.type} payload`);
      const order = await findOrderForUpdate(trx, orderId.toLowerCase());
      if (!order) return;
      const next = nextStatus(order.status, trigger);
      if (next === null) return;
      await setOrderStatus(trx, order.id, next);
      return () => invalidate([order.id]);
    };
  return {
    'stock.reserved': apply('stock.reserved'),
    'stock.reservation-failed': apply('stock.reservation-failed'),
  };
}
