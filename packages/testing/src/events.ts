import { randomBytes, randomUUID } from 'node:crypto';
import { Connection, type Consumer } from 'rabbitmq-client';
import { CONSUMERS, type ConsumerName, type EventEnvelope, type EventPayloads, type EventType } from '@shop/contracts';
import { deadLetterQueueName, queueName, topology, type TopologyNames } from '@shop/runtime';
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

/**
 * A queue of the test's own on a run's exchange, bound to the given event types: a tap that
 * receives a copy of every such event the relays publish, next to the consumers' queues.
 * Exclusive, so the broker deletes it when `close` ends the connection.
 */
export class TestQueue {
  /** Every message received, in arrival order, duplicates included. */
  readonly messages: Array<{ messageId: string | undefined; body: unknown }> = [];
  private readonly connection = new Connection({ url: RABBITMQ_URL, retryLow: 100, retryHigh: 500 });
  private consumer: Consumer | null = null;

  private constructor() {}

  static async bind(names: TopologyNames, eventTypes: readonly string[]): Promise<TestQueue> {
    const tap = new TestQueue();
    const queue = `${names.queuePrefix}.tap.${randomBytes(3).toString('hex')}`;
    const consumer = tap.connection.createConsumer(
      {
        queue,
        queueOptions: { exclusive: true },
        // Declared as every subgraph declares it, in case this tap is the first to connect.
        exchanges: [topology(names).exchanges[0]!],
        queueBindings: eventTypes.map((routingKey) => ({ exchange: names.exchange, queue, routingKey })),
        qos: { prefetchCount: 500 },
      },
      (message) => {
        tap.messages.push({ messageId: message.messageId, body: message.body });
      },
    );
    tap.consumer = consumer;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`test queue ${queue} was not consuming within 5 s`)), 5_000);
        consumer.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch (error) {
      await tap.close();
      throw error;
    }
    return tap;
  }

  async close(): Promise<void> {
    await this.consumer?.close();
    await this.connection.close();
  }
}

export interface QueueStatus {
  messages: number;
  consumers: number;
  /** Messages in its dead-letter queue. */
  deadLetters: number;
}

/**
 * Every consumer's queue and dead-letter queue of a run, and its exchanges, as the broker holds
 * them now (passive declarations, which change nothing); throws when any of them is missing.
 */
export async function inspectTopology(names: TopologyNames): Promise<Record<ConsumerName, QueueStatus>> {
  const connection = new Connection({ url: RABBITMQ_URL, retryLow: 100, retryHigh: 500 });
  try {
    for (const { exchange, type } of topology(names).exchanges) await connection.exchangeDeclare({ exchange, type, passive: true });
    const status = {} as Record<ConsumerName, QueueStatus>;
    for (const consumer of Object.keys(CONSUMERS) as ConsumerName[]) {
      const queue = await connection.queueDeclare({ queue: queueName(names, consumer), passive: true });
      const dead = await connection.queueDeclare({ queue: deadLetterQueueName(names, consumer), passive: true });
      status[consumer] = { messages: queue.messageCount, consumers: queue.consumerCount, deadLetters: dead.messageCount };
    }
    return status;
  } finally {
    await connection.close();
  }
}
