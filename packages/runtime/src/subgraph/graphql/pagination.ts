import { BadUserInputError } from '../../graphql/errors';
import { isUuid } from '../../graphql/ids';

export const MAX_PAGE_SIZE = 100;

export function parseFirst(first: number | null | undefined, fallback = 20): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`'first' must be between 1 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return value;
}

/** Keyset cursors: (createdAt, id) of the last row seen, opaque to clients. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string | null | undefined): Cursor | null {
  if (value === null || value === undefined) return null;
  const [iso, id, extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  // Only what encodeCursor writes: an exact ISO instant in a range Postgres can compare.
  const exact =
    !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === iso && createdAt.getUTCFullYear() >= 1970 && createdAt.getUTCFullYear() <= 9999;
  if (!id || !isUuid(id) || extra !== undefined || !exact) {
    throw new BadUserInputError("'after' is not a valid cursor.", 'after');
  }
  return { createdAt, id };
}
