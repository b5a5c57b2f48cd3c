import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/**
 * The operation a request runs. When the name picks none (or several operations and no
 * name), all are checked: the request is refused later anyway, and a limit must not be
 * dodged by naming an operation that does not exist.
 */
export function operationsToCheck(document: DocumentNode, operationName?: string | null): OperationDefinitionNode[] {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) {
    const named = operations.find((operation) => operation.name?.value === operationName);
    if (named) return [named];
  }
  return operations;
}

/** __schema and __type: their depth is bounded by graphql-js' MaxIntrospectionDepthRule, and they are off in production. */
export const isIntrospectionField = (name: string) => name === '__schema' || name === '__type';
