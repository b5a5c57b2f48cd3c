import { Kind, type DocumentNode } from 'graphql';
import { countExpanded } from './aliases';

/** The sign-in mutations: each one a password guess or a session operation. */
export const AUTH_FIELDS: ReadonlySet<string> = new Set(['logIn', 'signUp', 'refreshSession', 'logOut']);

/**
 * Root fields of the operation that are sign-in mutations, aliased or not, fragments on the
 * root type expanded (a fragment counts once per place it is spread).
 */
export function countAuthFields(document: DocumentNode, operationName?: string | null, names: ReadonlySet<string> = AUTH_FIELDS): number {
  return countExpanded(document, operationName, (set, count) => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += names.has(selection.name.value) ? 1 : 0;
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else total += count(selection);
    }
    return total;
  });
}
