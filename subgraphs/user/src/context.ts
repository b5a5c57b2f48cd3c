import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import { byKey, cachedLoader, type EntityCache, type Identity, type RequestScope, type SubgraphRequest } from '@shop/runtime';
import type { AuthService } from './auth/auth.service';
import type { UserService } from './user/user.service';
import type { UserDatabase } from './user/user.table';
import type { User } from './user/user.type';

export interface UserContext {
  identity: Identity | null;
  scope: RequestScope;
  users: UserService;
  auth: AuthService;
  /** Users who signed in with this very request (signUp, logIn, refreshSession). */
  authenticatedUserIds: Set<string>;
  loaders: {
    userById: DataLoader<string, User | null>;
  };
}

/** Builds the user and auth services for one database handle and, for a request, its trace. */
export interface UserServicesOn {
  users(db: Kysely<UserDatabase>): UserService;
  auth(db: Kysely<UserDatabase>, traceparent: string | null): AuthService;
}

/**
 * Per request: the caller, its scope, and services and fresh loaders on the request's own
 * database handle (its statements are counted), never shared between users.
 */
export function createContext(servicesOn: UserServicesOn, cache: { users: EntityCache<User>; enabled: boolean }) {
  return ({ identity, scope, db, traceparent }: SubgraphRequest<UserDatabase>): UserContext => {
    const users = servicesOn.users(db);
    return {
      identity,
      scope,
      users,
      auth: servicesOn.auth(db, traceparent),
      authenticatedUserIds: new Set(),
      loaders: {
        userById: cachedLoader({ cache: cache.users, load: byKey((ids) => users.findByIds(ids), (u) => u.id), enabled: cache.enabled, scope }),
      },
    };
  };
}
