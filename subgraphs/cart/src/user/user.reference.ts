import { isUuid } from '@shop/runtime';
import type { User } from './user.type';

/** Only the stub: the cart field loads through the request's loaders, so many users batch. */
export function resolveUserReference(reference: { id: string }): User | null {
  return isUuid(reference.id) ? { id: reference.id.toLowerCase() } : null;
}
