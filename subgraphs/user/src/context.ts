import type DataLoader from 'dataloader';
import { byKey, cachedLoader, type EntityCache, type Identity } from '@shop/runtime';
import type { AuthService } from './auth/auth.service';
import type { UserService } from './user/user.service';
import type { User } from './user/user.type';

export interface UserContext {
  identity: Identity | null;
  users: UserService;
  auth: AuthService;
  /** Users who signed in with this very request (signUp, logIn, refreshSession). */
  authenticatedUserIds: Set<string>;
  loaders: {
    userById: DataLoader<string, User | null>;
  };
}

/** Per request: the caller and fresh loaders, never shared between users. */
export function createContext(users: UserService, auth: AuthService, cache: { users: EntityCache<User>; enabled: boolean }) {
  return (identity: Identity | null): UserContext => ({
    identity,
    users,
    auth,
    authenticatedUserIds: new Set(),
    loaders: {
      userById: cachedLoader({ cache: cache.users, load: byKey((ids) => users.findByIds(ids), (u) => u.id), enabled: cache.enabled }),
    },
  });
}
