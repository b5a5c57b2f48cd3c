import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { identityFrom, type Identity } from './identity';

/**
 * Proof that a subgraph request came through the router: an HMAC, with a secret shared by
 * the router and the subgraphs, over the target subgraph's name, the method, the caller's
 * identity, a timestamp and the body's hash. Subgraphs accept any of the configured secrets,
 * so a secret rotates without downtime; a request signed for one subgraph is refused by the
 * others, and only a POST body (what Apollo executes) can be signed.
 */
export const SIGNATURE_HEADERS = {
  userId: 'x-shop-user-id',
  role: 'x-shop-user-role',
  timestamp: 'x-shop-timestamp',
  signature: 'x-shop-signature',
} as const;

const IDENTITY_HEADER_NAMES: readonly string[] = Object.values(SIGNATURE_HEADERS);
const VERSION = 'v2';
/** How far ahead of this process's clock a signature may be dated. */
export const MAX_FUTURE_SECONDS = 5;

export function isIdentityHeader(name: string): boolean {
  return IDENTITY_HEADER_NAMES.includes(name.toLowerCase());
}

function payload(audience: string, timestamp: string, identity: { userId: string; role: string } | null, body: string | Buffer): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return [VERSION, audience, 'POST', timestamp, identity?.userId ?? '', identity?.role ?? '', bodyHash].join('\n');
}

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export interface SignOptions {
  /** The subgraph's name (product, user, cart, order). */
  audience: string;
  identity: Identity | null;
  body: string | Buffer;
  now?: number;
}

export function signRequest(secret: string, options: SignOptions): Record<string, string> {
  const timestamp = String(Math.floor((options.now ?? Date.now()) / 1000));
  const headers: Record<string, string> = {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: `${VERSION}=${hmac(secret, payload(options.audience, timestamp, options.identity, options.body)).toString('hex')}`,
  };
  if (options.identity) {
    headers[SIGNATURE_HEADERS.userId] = options.identity.userId;
    headers[SIGNATURE_HEADERS.role] = options.identity.role;
  }
  return headers;
}

export type VerifyResult = { ok: true; identity: Identity | null } | { ok: false; reason: string };

export interface VerifyOptions {
  audience: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  maxSkewSeconds: number;
  now?: number;
}

export function verifyRequest(secrets: readonly string[], options: VerifyOptions): VerifyResult {
  const header = (name: string) => {
    const value = options.headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const timestamp = header(SIGNATURE_HEADERS.timestamp);
  const signature = header(SIGNATURE_HEADERS.signature);
  if (!timestamp || !signature?.startsWith(`${VERSION}=`)) return { ok: false, reason: 'missing router signature' };
  if (options.method !== 'POST') return { ok: false, reason: 'only POST requests can be signed' };
  const seconds = Number(timestamp);
  const age = (options.now ?? Date.now()) / 1000 - seconds;
  // Old by up to the allowed skew, but never dated more than a few seconds ahead: a future
  // date would stretch the window in which a captured request could be replayed.
  if (!Number.isInteger(seconds) || age > options.maxSkewSeconds || age < -MAX_FUTURE_SECONDS) {
    return { ok: false, reason: 'router signature outside the allowed clock skew' };
  }
  const userId = header(SIGNATURE_HEADERS.userId);
  const role = header(SIGNATURE_HEADERS.role);
  const signed = userId || role ? { userId: userId ?? '', role: role ?? '' } : null;
  const given = Buffer.from(signature.slice(VERSION.length + 1), 'hex');
  const data = payload(options.audience, timestamp, signed, options.body);
  const valid = secrets.some((secret) => {
    const expected = hmac(secret, data);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return { ok: false, reason: 'invalid router signature' };
  if (!signed) return { ok: true, identity: null };
  // Checked and normalised here, once: every subgraph compares the lowercase UUID.
  const identity = identityFrom(signed.userId, signed.role);
  return identity ? { ok: true, identity } : { ok: false, reason: 'malformed identity' };
}
