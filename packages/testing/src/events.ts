import { randomUUID } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import type { EventEnvelope, EventPayloads, EventType } from '@shop/contracts';
import { deadLetterQueueName, type TopologyNames } from '@shop/runtime';
import type { ConsumerName } from '@shop/contracts';
import { RABBITMQ_URL } from './services';

export function envelope<T extends EventType>(type: T, aggregateId: string, payload: EventPayloads[T], version = 1): EventEnvelope<T> {
  return { id: randomUUID(), type, occurredAt: new Date().toISOString(), aggregateId, version, traceparent: null, payload };
}

/** Publishes events (or raw bodies) to a test run's exchange, as another subgraph's relay would. */
export class TestPublisher {
  private readonly connection = new Connection({ url: RABBITMQ_URL, retryLow: 100, retryHigh: 500 });
  private readonly publisher = this.connection.createPublisher({ confirm: true });

  constructor(private readonly names: TopologyNames) {}

  async publish(event: EventEnvelope | { type: string; body: unknown }): Promise<void> {
    const body = 'body' in event ? event.body : event;
    await this.publisher.send({ exchange: this.names.exchange, routingKey: event.type, durable: true, contentType: 'application/json' }, body);
  }

  /** Messages now in a consumer's dead-letter queue (consumed and acked by this call). */
  async drainDeadLetters(consumer: ConsumerName): Promise<unknown[]> {
    const bodies: unknown[] = [];
    for (;;) {
      const message = await this.connection.basicGet({ queue: deadLetterQueueName(this.names, consumer), noAck: true });
      if (!message) return bodies;
      bodies.push(message.body);
    }
  }

  async close(): Promise<void> {
    await this.publisher.close();
    await this.connection.close();
  }
}
