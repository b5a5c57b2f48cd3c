import { createHash, randomBytes } from 'node:crypto';
import { ServiceUnavailableError, type Redis } from '@shop/runtime';

export interface Session {
  userId: string;
  expiresAt: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Only the token's hash is stored, so a leaked Redis dump holds no usable refresh token. */
const sessionKey = (token: string) => `user:session:v1:${createHash('sha256').update(token).digest('hex')}`;

/**
 * Refresh sessions in Redis: opaque random tokens, single use, with the refresh TTL. Without
 * Redis no session can be created or checked, so errors become SERVICE_UNAVAILABLE (the
 * client fails fast: no offline queue, a command timeout).
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const session: Session = { userId, expiresAt: expiresAt.toISOString() };
    await this.call(() => this.redis.set(sessionKey(token), JSON.stringify(session), 'EX', this.ttlSeconds));
    return { token, expiresAt };
  }

  /** Atomically removes and returns the session, so two racing refreshes cannot both win. */
  async take(token: string): Promise<Session | null> {
    if (!TOKEN.test(token)) return null;
    const value = await this.call(() => this.redis.getdel(sessionKey(token)));
    if (value === null) return null;
    try {
      const session = JSON.parse(value) as Partial<Session>;
      if (typeof session.userId !== 'string' || typeof session.expiresAt !== 'string') return null;
      if (!(Date.parse(session.expiresAt) > Date.now())) return null;
      return { userId: session.userId, expiresAt: session.expiresAt };
    } catch {
      return null;
    }
  }

  async revoke(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    return (await this.call(() => this.redis.del(sessionKey(token)))) > 0;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new ServiceUnavailableError('Sign-in is unavailable right now; please try again shortly.');
    }
  }
}
