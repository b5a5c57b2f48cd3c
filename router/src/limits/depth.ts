import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { fragmentsOf, isIntrospectionField, operationsToCheck } from './document';

/**
 * How many fields deep the operation goes (`{ a { b } }` is 2), with fragments expanded.
 * Each fragment's depth is computed once, so fragments that spread others many times cost
 * no more than the document's size; a fragment cycle (invalid, refused by validation later)
 * ends the descent instead of recursing forever.
 */
export function queryDepth(document: DocumentNode, operationName?: string | null): number {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();

  const fragmentDepth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0;
    visiting.add(name);
    const depth = depthOf(fragment.selectionSet);
    visiting.delete(name);
    memo.set(name, depth);
    return depth;
  };

  const depthOf = (set: SelectionSetNode): number => {
    let max = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet && !isIntrospectionField(selection.name.value) ? depthOf(selection.selectionSet) : 0;
        max = Math.max(max, 1 + below);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, depthOf(selection.selectionSet));
      } else {
        max = Math.max(max, fragmentDepth(selection.name.value));
      }
    }
    return max;
  };

  return Math.max(0, ...operationsToCheck(document, operationName).map((operation) => depthOf(operation.selectionSet)));
}
