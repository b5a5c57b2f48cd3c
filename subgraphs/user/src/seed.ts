import type { Kysely } from 'kysely';
import type { Role } from '@shop/runtime';
import { PasswordHasher } from './auth/password';
import * as repository from './user/user.repository';
import { countUsers, findUserByEmail, insertUsersIfMissing } from './user/user.repository';
import { normalizeEmail } from './user/user.rules';
import { registerUser } from './user/user.service';
import type { UserDatabase } from './user/user.table';

export { countUsers };

export const DEMO_ACCOUNTS = [
  { email: 'admin@example.com', password: 'admin-password', name: 'Ada Admin', role: 'ADMIN' },
  { email: 'customer@example.com', password: 'customer-password', name: 'Casey Customer', role: 'CUSTOMER' },
] as const satisfies ReadonlyArray<{ email: string; password: string; name: string; role: Role }>;

export const BENCH_PASSWORD = 'bench-password';
export const benchUserEmail = (n: number) => `bench-user-${n}@example.com`;

const DEFAULT_SCRYPT_COST = 16_384;

/**
 * Creates the demo admin and customer if they are missing, each with its user.registered
 * event; running it again changes nothing. Never in production: known passwords.
 */
export async function seedDemoAccounts(
  db: Kysely<UserDatabase>,
  options: { nodeEnv: string; scryptCost?: number },
): Promise<Array<{ id: string; email: string; role: Role; created: boolean }>> {
  if (options.nodeEnv === 'production') throw new Error('refusing to create demo accounts in production');
  const hasher = new PasswordHasher(options.scryptCost ?? DEFAULT_SCRYPT_COST);
  const result: Array<{ id: string; email: string; role: Role; created: boolean }> = [];
  for (const account of DEMO_ACCOUNTS) {
    const existing = await findUserByEmail(db, account.email);
    if (existing) {
      result.push({ id: existing.id, email: existing.email, role: existing.role, created: false });
      continue;
    }
    const passwordHash = await hasher.hash(account.password);
    try {
      const row = await db.transaction().execute((trx) => registerUser(trx, { ...account, passwordHash }));
      result.push({ id: row.id, email: row.email, role: row.role, created: true });
    } catch (error) {
      // Another seeder created it since the check above: keep theirs.
      const raced = (error as { code?: string }).code === '23505' ? await findUserByEmail(db, account.email) : undefined;
      if (!raced) throw error;
      result.push({ id: raced.id, email: raced.email, role: raced.role, created: false });
    }
  }
  return result;
}

/**
 * Bench users bench-user-1..count@example.com with password 'bench-password', in batches;
 * existing ones are kept. Returns their ids in order. One hash serves every user (a fresh salt
 * per user would cost a scrypt each, minutes for large counts), which is fine for test data only.
 * No user.registered events: bench accounts are not people to welcome.
 */
export async function seedUsers(
  db: Kysely<UserDatabase>,
  options: { count: number; batchSize?: number; scryptCost?: number; onProgress?: (done: number) => void },
): Promise<string[]> {
  const batchSize = options.batchSize ?? 1_000;
  const passwordHash = await new PasswordHasher(options.scryptCost ?? DEFAULT_SCRYPT_COST).hash(BENCH_PASSWORD);
  const ids: string[] = [];
  for (let offset = 0; offset < options.count; offset += batchSize) {
    const size = Math.min(batchSize, options.count - offset);
    const emails = Array.from({ length: size }, (_, i) => benchUserEmail(offset + i + 1));
    await insertUsersIfMissing(
      db,
      emails.map((email, i) => ({ email, name: `Bench User ${offset + i + 1}`, role: 'CUSTOMER' as const, password_hash: passwordHash })),
    );
    const byEmail = await repository.findUserIdsByEmails(db, emails);
    ids.push(...emails.map((email) => byEmail.get(email)!));
    options.onProgress?.(offset + size);
  }
  return ids;
}

/** Ids of the given emails (normalised), for tests and the benchmark; unknown emails are absent. */
export async function findUserIdsByEmails(db: Kysely<UserDatabase>, emails: readonly string[]): Promise<Map<string, string>> {
  return repository.findUserIdsByEmails(db, emails.map(normalizeEmail));
}
