import { ROLES, type Role } from '@shop/contracts';
import { ForbiddenError, UnauthenticatedError } from '../graphql/errors';
import { isUuid } from '../graphql/ids';

export type { Role };

/**
 * Who is calling, as the router vouched for it: a user id in the form every subgraph stores
 * and compares (a lowercase UUID) and a role. `null` is an anonymous caller. Subgraphs get
 * it already normalised (see `identityFrom`), so none of them lowercases or checks it again.
 */
export interface Identity {
  userId: string;
  role: Role;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The identity the router's headers name, normalised; null when they name no valid one. */
export function identityFrom(userId: string, role: string): Identity | null {
  if (!isUuid(userId) || !isRole(role)) return null;
  return { userId: userId.toLowerCase(), role };
}

/** The signed-in caller; UNAUTHENTICATED for an anonymous one. */
export function requireCaller(identity: Identity | null): Identity {
  if (!identity) throw new UnauthenticatedError();
  return identity;
}

export function requireAdmin(identity: Identity | null): Identity {
  const caller = requireCaller(identity);
  if (caller.role !== 'ADMIN') throw new ForbiddenError('Only an admin may do that.');
  return caller;
}

/** `ownerId` must be in the stored form (lowercase), as ids read from the database are. */
export function isOwnerOrAdmin(identity: Identity | null, ownerId: string): boolean {
  return identity !== null && (identity.role === 'ADMIN' || identity.userId === ownerId);
}

/** For fields: anonymous callers are UNAUTHENTICATED, other users FORBIDDEN. */
export function requireOwnerOrAdmin(identity: Identity | null, ownerId: string, message?: string): Identity {
  const caller = requireCaller(identity);
  if (!isOwnerOrAdmin(caller, ownerId)) throw new ForbiddenError(message);
  return caller;
}
