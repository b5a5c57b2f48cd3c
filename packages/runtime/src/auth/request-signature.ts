import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity, Role } from '../graphql/identity';

/**
 * Proof that a subgraph request came through the router: an HMAC, with a secret shared by
 * the router and the subgraphs, over the caller's identity, a timestamp and the body's hash.
 * Subgraphs accept any of the configured secrets, so a secret rotates without downtime.
 */
export const SIGNATURE_HEADERS = {
  userId: 'x-shop-user-id',
  role: 'x-shop-user-role',
  timestamp: 'x-shop-timestamp',
  signature: 'x-shop-signature',
} as const;

const IDENTITY_HEADER_NAMES: readonly string[] = Object.values(SIGNATURE_HEADERS);

export function isIdentityHeader(name: string): boolean {
  return IDENTITY_HEADER_NAMES.includes(name.toLowerCase());
}

function payload(timestamp: string, identity: Identity | null, body: string | Buffer): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return ['v1', timestamp, identity?.userId ?? '', identity?.role ?? '', bodyHash].join('\n');
}

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function signRequest(
  secret: string,
  identity: Identity | null,
  body: string | Buffer,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const headers: Record<string, string> = {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: `v1=${hmac(secret, payload(timestamp, identity, body)).toString('hex')}`,
  };
  if (identity) {
    headers[SIGNATURE_HEADERS.userId] = identity.userId;
    headers[SIGNATURE_HEADERS.role] = identity.role;
  }
  return headers;
}

export type VerifyResult = { ok: true; identity: Identity | null } | { ok: false; reason: string };

export function verifyRequest(
  secrets: readonly string[],
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  maxSkewSeconds: number,
  now = Date.now(),
): VerifyResult {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const timestamp = header(SIGNATURE_HEADERS.timestamp);
  const signature = header(SIGNATURE_HEADERS.signature);
  if (!timestamp || !signature?.startsWith('v1=')) return { ok: false, reason: 'missing router signature' };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(now / 1000 - seconds) > maxSkewSeconds) {
    return { ok: false, reason: 'router signature outside the allowed clock skew' };
  }
  const userId = header(SIGNATURE_HEADERS.userId);
  const role = header(SIGNATURE_HEADERS.role);
  let identity: Identity | null = null;
  if (userId || role) {
    if (!userId || (role !== 'CUSTOMER' && role !== 'ADMIN')) return { ok: false, reason: 'malformed identity' };
    identity = { userId, role: role as Role };
  }
  const given = Buffer.from(signature.slice(3), 'hex');
  const data = payload(timestamp, identity, body);
  const valid = secrets.some((secret) => {
    const expected = hmac(secret, data);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return valid ? { ok: true, identity } : { ok: false, reason: 'invalid router signature' };
}
