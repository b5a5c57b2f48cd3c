// The runtime's subgraph face: Postgres through kysely, the transactional outbox, its relay
// and the inbox, the type-graphql schema builder and shared types, the entity cache, and the
// server that ties them together. type-graphql needs reflect-metadata loaded first.
import 'reflect-metadata';

export * from './db/database';
export * from './events/tables';
export * from './events/outbox';
export * from './events/relay';
export * from './events/retention';
export * from './events/inbox';
export * from './graphql/federation';
export * from './graphql/types';
export * from './graphql/pagination';
export * from './cache/entity-cache';
export * from './cache/local-layer';
export * from './cache/single-flight';
export * from './cache/cached-loader';
export * from './serve';
export * from './context';
