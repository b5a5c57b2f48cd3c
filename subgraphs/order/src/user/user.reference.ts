import type { User } from './user.type';

/** A stub: User's fields live in the user subgraph; this one only adds `orders`. */
export function resolveUserReference(reference: { id: string }): User {
  return { id: reference.id };
}
