import type { Kysely, Transaction } from 'kysely';
import { NotFoundError, type Role } from '@shop/runtime';
import { writeEvent, type EntityCache } from '@shop/runtime/subgraph';
import type { UpdateProfileInput } from './user.input';
import * as repository from './user.repository';
import { parseName } from './user.rules';
import type { UserDatabase, UserRow } from './user.table';
import type { User } from './user.type';

export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at };
}

/** Inserts a user and its user.registered event; the caller owns the transaction and kicks the relay after commit. */
export async function registerUser(
  trx: Transaction<UserDatabase>,
  values: { email: string; name: string; role: Role; passwordHash: string },
  traceparent: string | null = null,
): Promise<UserRow> {
  const row = await repository.insertUser(trx, {
    email: values.email,
    name: values.name,
    role: values.role,
    password_hash: values.passwordHash,
  });
  await writeEvent(trx, 'user.registered', row.id, { userId: row.id, email: row.email, name: row.name }, 1, traceparent);
  return row;
}

export class UserService {
  constructor(
    private readonly db: Kysely<UserDatabase>,
    readonly cache: EntityCache<User>,
  ) {}

  /** Renames the user; with nothing to change it returns them as they are. */
  async updateProfile(userId: string, input: UpdateProfileInput, loadUser: (id: string) => Promise<User | null>): Promise<User> {
    const name = input.name == null ? undefined : parseName(input.name);
    const user = name === undefined ? await loadUser(userId) : await this.rename(userId, name);
    if (!user) throw new NotFoundError('No user with that id.');
    return user;
  }

  private async rename(userId: string, name: string): Promise<User | null> {
    const row = await repository.updateUserName(this.db, userId, name);
    await this.cache.invalidate([userId]);
    return row ? toUser(row) : null;
  }
}
