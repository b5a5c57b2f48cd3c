import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { RequestScope } from '@shop/runtime';
import { byKey, cachedLoader, type EntityCache, type SubgraphDeps } from '@shop/runtime/subgraph';
import { findUsersByIds } from './user.repository';
import { toUser } from './user.service';
import type { UserDatabase } from './user.table';
import type { User } from './user.type';

export interface UserLoaders {
  userById: DataLoader<string, User | null>;
}

/**
 * The process-wide Redis cache of users behind the loaders (keyed by id; the email field
 * checks who may see it after loading). Loaders built from it are per request.
 */
export class UserCaches {
  readonly users: EntityCache<User>;

  constructor(private readonly deps: Pick<SubgraphDeps<UserDatabase>, 'entityCache' | 'env'>) {
    this.users = deps.entityCache<User>('user');
  }

  /** One request's loaders, reading through `db` (the request's handle) and counting into `scope`. */
  loaders(db: Kysely<UserDatabase>, scope: RequestScope): UserLoaders {
    return {
      userById: cachedLoader({
        cache: this.users,
        load: byKey(
          async (ids) => (await findUsersByIds(db, ids)).map(toUser),
          (user) => user.id,
        ),
        enabled: this.deps.env.CACHE_ENABLED,
        scope,
      }),
    };
  }
}
