/**
 * Domain events: names, payloads and who consumes what. Producers and consumers both import
 * this file, so a payload change is a compile error on both sides.
 */

export interface EventEnvelope<T extends EventType = EventType> {
  /** Unique per event; consumers record it in their inbox so a redelivery is a no-op. */
  id: string;
  type: T;
  occurredAt: string;
  aggregateId: string;
  /** Monotonic per aggregate where the producer has one (product price version), else 1. */
  version: number;
  /** W3C trace context of the request that caused the event, when there was one. */
  traceparent: string | null;
  payload: EventPayloads[T];
}

export interface OrderLine {
  productId: string;
  quantity: number;
}

export interface ProductPriced {
  productId: string;
  sku: string;
  name: string;
  priceCents: number;
  version: number;
}

export interface EventPayloads {
  'product.created': ProductPriced;
  'product.price-changed': ProductPriced;
  'order.placed': { orderId: string; userId: string; lines: OrderLine[] };
  'order.cancelled': { orderId: string; userId: string };
  'stock.reserved': { orderId: string; userId: string; lines: OrderLine[] };
  'stock.reservation-failed': { orderId: string; userId: string; lines: OrderLine[]; reason: string };
  'user.registered': { userId: string; email: string; name: string };
}

export type EventType = keyof EventPayloads;

export const EVENT_TYPES = [
  'product.created',
  'product.price-changed',
  'order.placed',
  'order.cancelled',
  'stock.reserved',
  'stock.reservation-failed',
  'user.registered',
] as const satisfies readonly EventType[];

/**
 * Every consumer's queue and the event types bound to it. The relay declares all of them
 * before it publishes, so an event published before its consumer first starts still waits
 * in that consumer's queue.
 */
export const CONSUMERS = {
  product: ['order.placed', 'order.cancelled'],
  cart: ['product.created', 'product.price-changed', 'stock.reserved'],
  order: ['product.created', 'product.price-changed', 'stock.reserved', 'stock.reservation-failed'],
  // No service consumes user.registered yet. Publishing is `mandatory`, so an event with no
  // queue would be a failure; it is kept in a bounded queue that a future consumer (welcome
  // e-mails, analytics) can replay from.
  audit: ['user.registered'],
} as const satisfies Record<string, readonly EventType[]>;

export type ConsumerName = keyof typeof CONSUMERS;

/** Consumers whose queue is bounded (oldest dropped) because no process drains it yet. */
export const BOUNDED_QUEUES: Partial<Record<ConsumerName, number>> = { audit: 100_000 };

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
