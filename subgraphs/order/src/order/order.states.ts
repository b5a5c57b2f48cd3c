export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What can happen to an order: the product subgraph's verdict, or a cancel by a user. */
export type OrderTrigger = 'stock.reserved' | 'stock.reservation-failed' | 'cancel';

const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderTrigger, OrderStatus>>> = {
  PENDING: { 'stock.reserved': 'CONFIRMED', 'stock.reservation-failed': 'REJECTED', cancel: 'CANCELLED' },
  CONFIRMED: { cancel: 'CANCELLED' },
  REJECTED: {},
  CANCELLED: {},
};

/**
 * The next status, or null when the trigger may not move the order (a late or repeated event,
 * a cancel of a final order). Callers ignore null for events and decide for user actions.
 */
export function nextStatus(current: OrderStatus, trigger: OrderTrigger): OrderStatus | null {
  return TRANSITIONS[current][trigger] ?? null;
}

export function isFinal(status: OrderStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}
