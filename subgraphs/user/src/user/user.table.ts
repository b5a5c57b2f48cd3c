import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Role } from '@shop/runtime';
import type { EventTables } from '@shop/runtime/subgraph';

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: ColumnType<Role, Role | undefined, Role>;
  password_hash: string;
  created_at: ColumnType<Date, Date | undefined, Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface UserDatabase extends EventTables {
  users: UsersTable;
}

export type UserRow = Selectable<UsersTable>;
