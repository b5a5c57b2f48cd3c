import type { Kysely } from 'kysely';
import { ConflictError, isUuid, signAccessToken, UnauthenticatedError, type SigningKey } from '@shop/runtime';
import type { OutboxRelay } from '@shop/runtime/subgraph';
import { findUserByEmail } from '../user/user.repository';
import { LIMITS, normalizeEmail, parseEmail, parseName, parsePassword } from '../user/user.rules';
import { registerUser, toUser } from '../user/user.service';
import type { UserDatabase } from '../user/user.table';
import type { User } from '../user/user.type';
import type { LogInInput, SignUpInput } from './auth.input';
import type { AuthPayload } from './auth.type';
import type { PasswordHasher } from './password';
import type { SessionStore } from './session.store';

export interface TokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const WRONG_CREDENTIALS = 'Wrong email or password.';
const INVALID_REFRESH = 'This refresh token is invalid, expired or already used; please sign in again.';

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/** Accounts and sessions: passwords checked with scrypt, access tokens signed, refresh tokens in Redis. */
export class AuthService {
  constructor(
    private readonly db: Kysely<UserDatabase>,
    private readonly relay: OutboxRelay,
    private readonly sessions: SessionStore,
    private readonly passwords: PasswordHasher,
    private readonly keys: readonly SigningKey[],
    private readonly tokens: TokenOptions,
    /** The request's trace, carried by the events it causes. */
    private readonly traceparent: string | null = null,
  ) {}

  async signUp(input: SignUpInput): Promise<AuthPayload> {
    const email = parseEmail(input.email);
    const password = parsePassword(input.password);
    const name = parseName(input.name);
    const passwordHash = await this.passwords.hash(password);
    let registered;
    try {
      // The session is created before the user row commits: if Redis is down, the insert rolls
      // back and the email stays free, so no account exists that its owner was never told of.
      // If the commit fails after the session was stored, that session names a user that does
      // not exist, and refreshSession refuses it.
      registered = await this.db.transaction().execute(async (trx) => {
        const row = await registerUser(trx, { email, name, role: 'CUSTOMER', passwordHash }, this.traceparent);
        const session = await this.sessions.create(row.id);
        return { user: toUser(row), session };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('An account with that email already exists.');
      throw error;
    }
    this.relay.kick();
    return this.issue(registered.user, registered.session);
  }

  async logIn(input: LogInInput): Promise<AuthPayload> {
    if (Array.from(input.password).length > LIMITS.password.max) throw new UnauthenticatedError(WRONG_CREDENTIALS);
    const row = await findUserByEmail(this.db, normalizeEmail(input.email));
    if (!row) {
      await this.passwords.burn(input.password);
      throw new UnauthenticatedError(WRONG_CREDENTIALS);
    }
    if (!(await this.passwords.verify(input.password, row.password_hash))) throw new UnauthenticatedError(WRONG_CREDENTIALS);
    const user = toUser(row);
    return this.issue(user, await this.sessions.create(user.id));
  }

  /** Single use: the old token is taken atomically, so it never works twice, even under a race. */
  async refresh(refreshToken: string, loadUser: (id: string) => Promise<User | null>): Promise<AuthPayload> {
    const session = await this.sessions.take(refreshToken);
    if (!session || !isUuid(session.userId)) throw new UnauthenticatedError(INVALID_REFRESH);
    const user = await loadUser(session.userId);
    if (!user) throw new UnauthenticatedError(INVALID_REFRESH);
    return this.issue(user, await this.sessions.create(user.id));
  }

  logOut(refreshToken: string): Promise<boolean> {
    return this.sessions.revoke(refreshToken);
  }

  private async issue(user: User, session: { token: string }): Promise<AuthPayload> {
    const access = await signAccessToken(this.keys[0]!, { userId: user.id, role: user.role }, this.tokens);
    return { accessToken: access.token, refreshToken: session.token, expiresAt: access.expiresAt, user };
  }
}
