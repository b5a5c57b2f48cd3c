import { Kind, type DocumentNode } from 'graphql';
import { countExpanded } from './aliases';

/** Fields at the top of the operation, fragments on the root type expanded. */
export function countRootFields(document: DocumentNode, operationName?: string | null): number {
  return countExpanded(document, operationName, (set, count) => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else total += count(selection);
    }
    return total;
  });
}
