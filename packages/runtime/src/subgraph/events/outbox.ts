import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { EventEnvelope, EventPayloads, EventType } from '@shop/contracts';
import type { EventTables } from './tables';

/**
 * Records an event in the same transaction as the write that caused it; the relay publishes
 * it after commit. Never publish to RabbitMQ from inside a transaction. `traceparent`: the
 * request's or the handled event's trace, so consumers continue it.
 */
export async function writeEvent<T extends EventType>(
  trx: Transaction<any> | Kysely<any>,
  type: T,
  aggregateId: string,
  payload: EventPayloads[T],
  version = 1,
  traceparent: string | null = null,
): Promise<EventEnvelope<T>> {
  const envelope: EventEnvelope<T> = {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    aggregateId,
    version,
    traceparent,
    payload,
  };
  await (trx as Kysely<EventTables>)
    .insertInto('outbox')
    .values({
      id: envelope.id,
      type,
      aggregate_id: aggregateId,
      version,
      payload: JSON.stringify(payload),
      traceparent: envelope.traceparent,
      occurred_at: new Date(envelope.occurredAt),
    })
    .execute();
  return envelope;
}
