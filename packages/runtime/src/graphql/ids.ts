import { BadUserInputError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Ids are UUIDs; anything else is refused before it reaches SQL. */
export function parseId(value: string, field = 'id'): string {
  if (!isUuid(value)) throw new BadUserInputError(`'${field}' is not a valid id.`, field);
  return value.toLowerCase();
}
