import type { Kysely, Transaction } from 'kysely';
import { isUuid, NotFoundError, writeEvent, type Role } from '@shop/runtime';
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
): Promise<UserRow> {
  const row = await repository.insertUser(trx, {
    email: values.email,
    name: values.name,
    role: values.role,
    password_hash: values.passwordHash,
  });
  await writeEvent(trx, 'user.registered', row.id, { userId: row.id, email: row.email, name: row.name });
  return row;
}

export class UserService {
  constructor(private readonly db: Kysely<UserDatabase>) {}

  async findByIds(ids: readonly string[]): Promise<User[]> {
    return (await repository.findUsersByIds(this.db, ids)).map(toUser);
  }

  async updateProfile(userId: string, input: UpdateProfileInput): Promise<User> {
    const name = input.name == null ? undefined : parseName(input.name);
    if (!isUuid(userId)) throw new NotFoundError('No user with that id.');
    const row =
      name === undefined
        ? (await repository.findUsersByIds(this.db, [userId]))[0]
        : await repository.updateUserName(this.db, userId, name);
    if (!row) throw new NotFoundError('No user with that id.');
    return toUser(row);
  }
}
