import { Connection, ConsumerStatus, type Consumer, type Publisher } from 'rabbitmq-client';
import { isEventType, type ConsumerName, type EventEnvelope } from '@shop/contracts';
import type { Logger } from '../observability/logger';
import { throttledLog } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { parseTraceparent } from '../observability/trace';
import { queueArguments, queueName, topology, type TopologyNames } from './topology';

export class UnroutableEventError extends Error {
  constructor(type: string) {
    super(`event '${type}' was returned by the broker: no queue is bound for it`);
  }
}

/** What handling an event did: applied it, found it applied already, or had nothing to do. */
export type EventOutcome = 'applied' | 'duplicate' | 'ignored';

export type EventHandling = (event: EventEnvelope) => Promise<EventOutcome>;

export interface EventBusOptions extends TopologyNames {
  url: string;
  maxDeliveryAttempts: number;
  retryBaseMs: number;
  log: Logger;
  metrics?: Metrics;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A process's connection to RabbitMQ: a confirming, mandatory publisher (the outbox relay's)
 * and consumers with retries and a dead letter. Applying each event once is the inbox's
 * job (`consumeWithInbox` in the subgraph runtime), not the bus's.
 */
export class EventBus {
  readonly connection: Connection;
  private readonly publisher: Publisher;
  private readonly returned = new Set<string>();
  private readonly consumers: Consumer[] = [];
  private readonly logThrottled = throttledLog(10_000);
  private stopping = false;
  private wakeOnStop!: () => void;
  /** Settles when stopConsuming() is called: a handler waiting out an outage stops waiting. */
  private readonly stopRequested = new Promise<void>((resolve) => (this.wakeOnStop = resolve));

  constructor(private readonly options: EventBusOptions) {
    this.connection = new Connection({
      url: options.url,
      connectionName: options.log.bindings().service,
      retryLow: 250,
      retryHigh: 5_000,
      acquireTimeout: 5_000,
    });
    this.connection.on('error', (error) => this.logThrottled('connection', () => options.log.warn({ err: error }, 'rabbitmq connection error')));
    const declared = topology(options);
    this.publisher = this.connection.createPublisher({
      confirm: true,
      maxAttempts: 1,
      // Declared before the first publish and again after every reconnect.
      exchanges: declared.exchanges,
      queues: declared.queues,
      queueBindings: declared.queueBindings,
    });
    // (The `onReturn` publisher option is typed but not wired in rabbitmq-client 5.0.8.)
    this.publisher.on('basic.return', (message) => {
      if (message.messageId) this.returned.add(message.messageId);
    });
  }

  /**
   * Declares the whole topology now. Publisher and consumers declare it again on every
   * (re)connect; this only makes a fresh process ready before it serves. Waits at most
   * `timeoutMs` for the broker: a process may start while RabbitMQ is down.
   */
  async declareTopology(timeoutMs: number): Promise<boolean> {
    try {
      await this.connection.onConnect(timeoutMs, true);
      const declared = topology(this.options);
      for (const exchange of declared.exchanges) await this.connection.exchangeDeclare(exchange);
      for (const queue of declared.queues) await this.connection.queueDeclare(queue);
      for (const binding of declared.queueBindings) await this.connection.queueBind(binding);
      return true;
    } catch (error) {
      this.options.log.warn({ err: error }, 'rabbitmq unreachable at start; events wait in the outbox');
      return false;
    }
  }

  /** Resolves once the broker has confirmed the event is queued; rejects if unroutable. */
  async publish(event: EventEnvelope): Promise<void> {
    await this.publisher.send(
      {
        exchange: this.options.exchange,
        routingKey: event.type,
        mandatory: true,
        durable: true,
        messageId: event.id,
        contentType: 'application/json',
        headers: event.traceparent ? { traceparent: event.traceparent } : {},
      },
      event,
    );
    // The broker sends basic.return before the confirm, and the client emits it on a
    // setImmediate queued before ours; one turn later it has been recorded.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.returned.delete(event.id)) throw new UnroutableEventError(event.type);
  }

  /**
   * Consumes one consumer's queue: `handle` is called for each well-formed event and says what
   * it did. A failure is retried with exponential backoff, then dead-lettered; a failure that
   * `isTransient` blames on an unreachable dependency, not the event, is retried for as long
   * as it lasts (the message stays unacked meanwhile). Malformed messages are dead-lettered.
   */
  consume(consumer: ConsumerName, handle: EventHandling, isTransient: (error: unknown) => boolean = () => false): void {
    const { log, metrics, maxDeliveryAttempts, retryBaseMs } = this.options;
    const declared = topology(this.options);
    const handler = this.connection.createConsumer(
      {
        queue: queueName(this.options, consumer),
        queueOptions: { durable: true, arguments: queueArguments(this.options, consumer) },
        exchanges: declared.exchanges,
        queueBindings: declared.queueBindings.filter((b) => b.queue.startsWith(queueName(this.options, consumer))),
        qos: { prefetchCount: 20 },
        concurrency: 4,
        requeue: false,
      },
      async (message) => {
        const event = parseEnvelope(message.body);
        if (!event) {
          log.error({ messageId: message.messageId }, 'malformed event dead-lettered');
          metrics?.eventsConsumed.inc({ type: 'unknown', outcome: 'dead-lettered' });
          return ConsumerStatus.DROP;
        }
        const traceId = parseTraceparent(event.traceparent)?.traceId;
        let attempt = 0;
        let outage = 0;
        for (;;) {
          try {
            const outcome = await handle(event);
            if (outcome !== 'ignored') metrics?.eventsConsumed.inc({ type: event.type, outcome });
            return ConsumerStatus.ACK;
          } catch (error) {
            if (isTransient(error)) {
              // The dependency is away, not the event at fault: wait it out, however long,
              // rather than dead-letter good events. Shutting down, give the event back to
              // the queue instead (another replica, or this one restarted, applies it).
              if (this.stopping) return ConsumerStatus.REQUEUE;
              outage += 1;
              const delay = Math.min(30_000, retryBaseMs * 2 ** Math.min(outage, 10));
              this.logThrottled(`transient:${consumer}`, () =>
                log.warn({ err: error, eventId: event.id, traceId, delay }, 'dependency unavailable; event will be retried'),
              );
              await Promise.race([sleep(delay), this.stopRequested]);
              continue;
            }
            attempt += 1;
            if (attempt >= maxDeliveryAttempts) {
              log.error({ err: error, eventId: event.id, type: event.type, traceId, attempt }, 'event dead-lettered');
              metrics?.eventsConsumed.inc({ type: event.type, outcome: 'dead-lettered' });
              return ConsumerStatus.DROP;
            }
            const delay = retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random());
            log.warn({ err: error, eventId: event.id, type: event.type, traceId, attempt, delay }, 'event failed, retrying');
            await sleep(delay);
          }
        }
      },
    );
    handler.on('error', (error) => this.logThrottled(`consumer:${consumer}`, () => log.warn({ err: error }, 'consumer error')));
    this.consumers.push(handler);
  }

  /**
   * Stops taking events: every consumer cancels, so the broker sends no more; messages
   * prefetched but not started go back to the queue, and the ones being handled finish (their
   * transaction commits) and are acked before the channel closes (rabbitmq-client's
   * Consumer.close() waits for its handlers). The publisher stays open for the relay.
   */
  async stopConsuming(): Promise<void> {
    this.stopping = true;
    this.wakeOnStop();
    await Promise.all(this.consumers.map((c) => c.close()));
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    await this.publisher.close();
    await this.connection.close();
  }
}

const UUID = /^[0-9a-f-]{36}$/i;

function parseEnvelope(body: unknown): EventEnvelope | null {
  let value = body;
  if (Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString('utf8'));
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID.test(e.id) || !isEventType(e.type)) return null;
  if (typeof e.aggregateId !== 'string' || typeof e.version !== 'number') return null;
  if (typeof e.payload !== 'object' || e.payload === null) return null;
  return value as EventEnvelope;
}
