import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { HttpError, JWT_ALGORITHM, type Identity, type Logger } from '@shop/runtime';

export interface TokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  log: Logger;
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

/**
 * Turns an `Authorization` header into the caller's identity: no header is an anonymous
 * caller, anything else must be a valid access token from the user subgraph.
 */
export function createTokenVerifier(options: TokenVerifierOptions): (authorization: string | undefined) => Promise<Identity | null> {
  // The JWKS is fetched on first use, not at start-up, so the router may start before the
  // user subgraph. A failed fetch is retried on the next request; an unknown kid refetches
  // at most every 30 s (cooldown), so forged kids cannot hammer the key server.
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 2_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });

  return async (authorization) => {
    if (authorization === undefined) return null;
    const match = /^Bearer +([A-Za-z0-9\-_.]+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>".');
    try {
      const { payload } = await jwtVerify(match[1]!, keys, {
        algorithms: [JWT_ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 5,
      });
      const role = payload.role;
      if (!payload.sub || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
        throw unauthenticated('The access token does not name a user and a role.');
      }
      return { userId: payload.sub, role };
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('The access token has expired.');
      if (error instanceof errors.JOSEError && TOKEN_ERRORS.has(error.code)) {
        throw unauthenticated('The access token is not valid.');
      }
      options.log.warn({ err: error, jwksUrl: options.jwksUrl }, 'could not fetch the JWKS to verify an access token');
      throw new HttpError(503, 'Signing in is unavailable right now; try again shortly.', 'SERVICE_UNAVAILABLE');
    }
  };
}
