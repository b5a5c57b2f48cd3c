// The runtime's light core, for every process (the router too): config, logging, metrics and
// traces, HTTP, Redis and the cache contract, the router's request proof and the caller's
// identity, and the event bus. What only a subgraph needs (Postgres, the outbox, type-graphql,
// the entity cache) is behind '@shop/runtime/subgraph', so the router never loads it.
export * from './config';
export * from './observability/logger';
export * from './observability/metrics';
export * from './observability/trace';
export * from './http/server';
export * from './http/draining';
export * from './process';
export * from './cache/redis';
export * from './cache/keys';
export * from './cache/generation';
export * from './closers';
export * from './cache/invalidation-channel';
export * from './cache/recent-invalidations';
export * from './auth/identity';
export * from './auth/request-signature';
export * from './auth/jwt';
export * from './events/topology';
export * from './events/bus';
export * from './graphql/errors';
export * from './graphql/ids';
export * from './graphql/plugins';
