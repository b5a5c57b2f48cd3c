import type { Kysely } from 'kysely';
import type { Identity } from '../auth/identity';
import type { RequestScope } from '../observability/trace';
import type { EventTables } from './events/tables';
import type { SubgraphRequest } from './serve';

/** Builds a subgraph's services on one database handle, with the request's trace for the events they cause. */
export type ServicesOn<DB, Services> = (db: Kysely<DB & EventTables>, traceparent: string | null) => Services;

/** What every subgraph's resolvers get: the caller, the request's scope, its services and its own loaders. */
export type SubgraphContext<Services, Loaders> = Services & {
  identity: Identity | null;
  scope: RequestScope;
  loaders: Loaders;
};

/**
 * The per-request context of a subgraph: the caller, its scope, and services and fresh
 * loaders on the request's own database handle (its statements are counted), never shared
 * between users.
 */
export function requestContext<DB, Services extends object, Loaders>(
  servicesOn: ServicesOn<DB, Services>,
  loadersOn: (db: Kysely<DB & EventTables>, scope: RequestScope) => Loaders,
) {
  return ({ identity, scope, db, traceparent }: SubgraphRequest<DB>): SubgraphContext<Services, Loaders> => ({
    identity,
    scope,
    ...servicesOn(db, traceparent),
    loaders: loadersOn(db, scope),
  });
}
