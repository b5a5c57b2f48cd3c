import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { fragmentsOf, operationsToCheck } from './document';

/**
 * Aliased fields the operation asks for, counting a fragment once per place it is spread
 * (that is how often its fields run). Memoized per fragment; cycles count nothing.
 */
export function countAliases(document: DocumentNode, operationName?: string | null): number {
  return countExpanded(document, operationName, (set, count) => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) total += 1;
        if (selection.selectionSet) total += count(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet);
      } else {
        total += count(selection);
      }
    }
    return total;
  });
}

type Counter = (node: SelectionSetNode | { kind: Kind.FRAGMENT_SPREAD; name: { value: string } }) => number;

/** Shared walk: `visit` counts one selection set and calls `count` for nested sets and spreads. */
export function countExpanded(
  document: DocumentNode,
  operationName: string | null | undefined,
  visit: (set: SelectionSetNode, count: Counter) => number,
): number {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const count: Counter = (node) => {
    if (node.kind === Kind.SELECTION_SET) return visit(node, count);
    const name = node.name.value;
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0;
    visiting.add(name);
    const total = visit(fragment.selectionSet, count);
    visiting.delete(name);
    memo.set(name, total);
    return total;
  };
  return Math.max(0, ...operationsToCheck(document, operationName).map((operation) => count(operation.selectionSet)));
}
