import { requestContext, type ServicesOn as ServicesFactory, type SubgraphContext, type SubgraphRequest } from '@shop/runtime/subgraph';
import type { AuthService } from './auth/auth.service';
import type { UserCaches, UserLoaders } from './user/user.loaders';
import type { UserService } from './user/user.service';
import type { UserDatabase } from './user/user.table';

/** Builds this subgraph's services on one database handle (a request's, or the process's). */
export type ServicesOn = ServicesFactory<UserDatabase, { users: UserService; auth: AuthService }>;

export type UserContext = SubgraphContext<ReturnType<ServicesOn>, UserLoaders> & {
  /** Users who signed in with this very request (signUp, logIn, refreshSession). */
  authenticatedUserIds: Set<string>;
};

/** Per request: the caller, its scope, the services and fresh loaders on the request's own database handle. */
export function createContext(caches: UserCaches, servicesOn: ServicesOn) {
  const base = requestContext(servicesOn, (db, scope) => caches.loaders(db, scope));
  return (request: SubgraphRequest<UserDatabase>): UserContext => ({ ...base(request), authenticatedUserIds: new Set() });
}
