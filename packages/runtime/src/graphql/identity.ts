import { ForbiddenError, UnauthenticatedError } from './errors';

export type Role = 'CUSTOMER' | 'ADMIN';

/** Who is calling, as the router verified it. `null` is an anonymous caller. */
export interface Identity {
  userId: string;
  role: Role;
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw new UnauthenticatedError();
  return identity;
}

export function requireAdmin(identity: Identity | null): Identity {
  const caller = requireIdentity(identity);
  if (caller.role !== 'ADMIN') throw new ForbiddenError('Only an admin may do that.');
  return caller;
}

export function isOwnerOrAdmin(identity: Identity | null, ownerId: string): boolean {
  return identity !== null && (identity.role === 'ADMIN' || identity.userId === ownerId);
}

/** For fields: anonymous callers are UNAUTHENTICATED, other users FORBIDDEN. */
export function requireOwnerOrAdmin(identity: Identity | null, ownerId: string): Identity {
  const caller = requireIdentity(identity);
  if (!isOwnerOrAdmin(caller, ownerId)) throw new ForbiddenError();
  return caller;
}
