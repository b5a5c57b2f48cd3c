import { isUuid } from '@shop/runtime';
import type { UserContext } from '../context';
import type { User } from './user.type';

/** Other subgraphs reference User by id; every representation goes through the request's loader. */
export async function resolveUserReference(reference: { id?: string }, ctx: UserContext): Promise<User | null> {
  if (reference.id === undefined || !isUuid(reference.id)) return null;
  return ctx.loaders.userById.load(reference.id.toLowerCase());
}
