import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../config/env';
import { devSecret } from '../config/secrets';
import type { Identity } from './identity';

export const JWT_ALGORITHM = 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

/**
 * Access-token keys. The first key signs; all of them are published in the JWKS, so a new
 * key is added first, becomes the signer on the next deploy, and the old one is dropped once
 * its last tokens have expired.
 */
export async function loadSigningKeys(env: { NODE_ENV: string; AUTH_JWT_PRIVATE_KEYS?: string; SECRETS_DIR: string }): Promise<SigningKey[]> {
  let source = env.AUTH_JWT_PRIVATE_KEYS;
  if (!source) {
    if (env.NODE_ENV === 'production') {
      throw new ConfigError(['AUTH_JWT_PRIVATE_KEYS: required in production (a JSON array of private EC P-256 JWKs, each with a kid)']);
    }
    const generated = await generateDevKey();
    source = devSecret(env.SECRETS_DIR, 'jwt-signing-keys.json', () => generated);
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(source);
  } catch {
    throw new ConfigError(['AUTH_JWT_PRIVATE_KEYS: is not valid JSON']);
  }
  if (!Array.isArray(jwks) || jwks.length === 0) throw new ConfigError(['AUTH_JWT_PRIVATE_KEYS: must be a non-empty JSON array of JWKs']);
  return Promise.all(
    jwks.map(async (jwk: JWK, index: number) => {
      if (!jwk.kid || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) {
        throw new ConfigError([`AUTH_JWT_PRIVATE_KEYS: key ${index} must be a private EC P-256 JWK with a kid`]);
      }
      const { d: _private, ...publicJwk } = jwk;
      return {
        kid: jwk.kid,
        privateKey: (await importJWK(jwk, JWT_ALGORITHM)) as KeyLike,
        publicJwk: { ...publicJwk, alg: JWT_ALGORITHM, use: 'sig' },
      };
    }),
  );
}

async function generateDevKey(): Promise<string> {
  const { privateKey } = await generateKeyPair(JWT_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return JSON.stringify([{ ...jwk, kid: `dev-${randomUUID()}` }]);
}

export async function signAccessToken(
  key: SigningKey,
  identity: Identity,
  options: { issuer: string; audience: string; ttlSeconds: number },
): Promise<{ token: string; expiresAt: Date }> {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = new Date((now + options.ttlSeconds) * 1000);
  const token = await new SignJWT({ role: identity.role })
    .setProtectedHeader({ alg: JWT_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return { token, expiresAt };
}

export function jwks(keys: SigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}
