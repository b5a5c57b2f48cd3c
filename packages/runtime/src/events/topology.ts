import { BOUNDED_QUEUES, CONSUMERS, type ConsumerName } from '@shop/contracts';

/**
 * The whole messaging topology, derived from the consumer table in @shop/contracts. Every
 * process declares all of it (with identical arguments) before it publishes or consumes, so
 * an event published before its consumer first starts is still queued for it.
 */
export interface TopologyNames {
  exchange: string;
  queuePrefix: string;
}

export function deadLetterExchange(names: TopologyNames): string {
  return `${names.exchange}.dlx`;
}

export function queueName(names: TopologyNames, consumer: ConsumerName): string {
  return `${names.queuePrefix}.${consumer}`;
}

export function deadLetterQueueName(names: TopologyNames, consumer: ConsumerName): string {
  return `${queueName(names, consumer)}.dlq`;
}

export function queueArguments(names: TopologyNames, consumer: ConsumerName): Record<string, string | number> {
  const bound = BOUNDED_QUEUES[consumer];
  return {
    'x-dead-letter-exchange': deadLetterExchange(names),
    'x-dead-letter-routing-key': consumer,
    ...(bound ? { 'x-max-length': bound, 'x-overflow': 'drop-head' } : {}),
  };
}

export function topology(names: TopologyNames) {
  const consumers = Object.keys(CONSUMERS) as ConsumerName[];
  return {
    exchanges: [
      { exchange: names.exchange, type: 'topic', durable: true },
      { exchange: deadLetterExchange(names), type: 'direct', durable: true },
    ],
    queues: consumers.flatMap((consumer) => [
      { queue: queueName(names, consumer), durable: true, arguments: queueArguments(names, consumer) },
      { queue: deadLetterQueueName(names, consumer), durable: true },
    ]),
    queueBindings: consumers.flatMap((consumer) => [
      ...CONSUMERS[consumer].map((type) => ({
        exchange: names.exchange,
        queue: queueName(names, consumer),
        routingKey: type,
      })),
      { exchange: deadLetterExchange(names), queue: deadLetterQueueName(names, consumer), routingKey: consumer },
    ]),
  };
}
