import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requestDuration: Histogram<'operation' | 'outcome'>;
  sqlStatements: Counter<'operation'>;
  cacheLookups: Counter<'operation' | 'result'>;
  eventsPublished: Counter<'type' | 'outcome'>;
  eventsConsumed: Counter<'type' | 'outcome'>;
}

/** One registry per service process, served at /metrics. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requestDuration: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request duration by operation name',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    sqlStatements: new Counter({
      name: 'sql_statements_total',
      help: 'SQL statements executed, by GraphQL operation',
      labelNames: ['operation'],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'cache_lookups_total',
      help: 'Read-through cache lookups, by GraphQL operation and result',
      labelNames: ['operation', 'result'],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Domain events published from the outbox',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Domain events handled by this service',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
  };
}
