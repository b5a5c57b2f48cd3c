import { isOwnerOrAdmin, isUuid } from '@shop/runtime';
import type { OrderContext } from '../context';
import type { Order } from './order.type';

/** Through the request's loader; null unless the caller owns the order or is an admin. */
export async function resolveOrderReference(reference: { id: string }, ctx: OrderContext): Promise<Order | null> {
  if (typeof reference.id !== 'string' || !isUuid(reference.id)) return null;
  const order = ctx.orders.map(await ctx.loaders.orderById.load(reference.id.toLowerCase()));
  return order && isOwnerOrAdmin(ctx.identity, order.userId) ? order : null;
}
