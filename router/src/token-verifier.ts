import { errors, jwtVerify } from 'jose';
import { HttpError, isRole, JWT_ALGORITHM, type Identity, type Logger } from '@shop/runtime';
import { createJwksStore } from './jwks-store';

export interface TokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  log: Logger;
  /** How long a verified token is taken on trust before its signature is checked again (default 60 s). */
  verifiedTtlMs?: number;
  /** How many verified tokens are remembered (default 10,000). */
  verifiedMaxEntries?: number;
  /** How often the JWKS is fetched again in the background (default 10 minutes). */
  jwksRefreshMs?: number;
  /** How long the last good JWKS is used while fetching it fails (default 24 h). */
  jwksStaleMs?: number;
  now?: () => number;
  /** Told how each token was checked: taken from memory, verified now, refused, or not checkable (no JWKS). */
  onResult?: (result: 'remembered' | 'verified' | 'refused' | 'unavailable') => void;
}

/** Failures that mean the token itself is bad; anything else means the key server could not be asked. */
const TOKEN_ERRORS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

const unauthenticated = (message: string) => new HttpError(401, message, 'UNAUTHENTICATED');

/** The client's error when verification failed because of the token itself; null when the key server could not be asked. */
function refusalFor(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof errors.JWTExpired) return unauthenticated('The access token has expired.');
  if (error instanceof errors.JOSEError && TOKEN_ERRORS.has(error.code)) return unauthenticated('The access token is not valid.');
  return null;
}

/**
 * Turns an `Authorization` header into the caller's identity: no header is an anonymous
 * caller, anything else must be a valid access token from the user subgraph.
 */
export type TokenVerifier = ((authorization: string | undefined) => Promise<Identity | null>) & { close(): void };

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // The JWKS is fetched at once in the background, not awaited, so the router may start before
  // the user subgraph; then every jwksRefreshMs and on an unknown kid (at most every 30 s). While
  // fetches fail, the last good keys are used for up to jwksStaleMs (see createJwksStore).
  const jwks = createJwksStore({
    url: options.jwksUrl,
    log: options.log,
    refreshMs: options.jwksRefreshMs,
    staleMs: options.jwksStaleMs,
    now: options.now,
  });
  const keys = jwks.getKey;

  const now = options.now ?? Date.now;
  const verified = new VerifiedTokens(options.verifiedTtlMs ?? 60_000, options.verifiedMaxEntries ?? 10_000, now);
  const report = options.onResult ?? (() => undefined);

  const verify = async (authorization: string | undefined): Promise<Identity | null> => {
    if (authorization === undefined) return null;
    const match = /^Bearer +([A-Za-z0-9\-_.]+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>".');
    const token = match[1]!;
    const known = verified.get(token);
    if (known) {
      report('remembered');
      return known;
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [JWT_ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 5,
        currentDate: new Date(now()),
      });
      const role = payload.role;
      if (!payload.sub || !isRole(role)) {
        throw unauthenticated('The access token does not name a user and a role.');
      }
      const identity: Identity = { userId: payload.sub, role };
      verified.remember(token, identity, payload.exp! * 1000);
      report('verified');
      return identity;
    } catch (error) {
      const refusal = refusalFor(error);
      report(refusal ? 'refused' : 'unavailable');
      if (refusal) throw refusal;
      options.log.warn({ err: error, jwksUrl: options.jwksUrl }, 'no JWKS fresh enough to verify an access token');
      throw new HttpError(503, 'Signing in is unavailable right now; try again shortly.', 'SERVICE_UNAVAILABLE');
    }
  };
  return Object.assign(verify, { close: () => jwks.close() });
}

/**
 * Tokens whose signature and claims were checked, so a client's next requests skip the ES256
 * verification (a tenth of a millisecond each). The exact token text is the key, so only a
 * token that really verified can hit. An entry lasts until the token's own expiry or `ttlMs`,
 * whichever is sooner: past that it is verified again, so an expired token is refused as
 * before, and a signing key withdrawn from the JWKS stops being honoured within `ttlMs` of
 * the router's next JWKS fetch. Bounded: the oldest entries go first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { identity: Identity; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(token: string): Identity | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.identity;
    this.entries.delete(token);
    return undefined;
  }

  remember(token: string, identity: Identity, expiresAtMs: number): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const until = Math.min(expiresAtMs, this.now() + this.ttlMs);
    if (until <= this.now()) return;
    this.entries.delete(token);
    this.entries.set(token, { identity, until });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}
