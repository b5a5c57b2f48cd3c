import {
  BREAK,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { fragmentsOf, isIntrospectionField, operationsToCheck } from './document';

export interface CostOptions {
  /** The API schema: tells list fields and argument defaults apart. Without it only `first`/`last` count. */
  schema?: GraphQLSchema;
  variables?: Record<string, unknown>;
  /** `Type.field` → cost of one call of that field; by default 1 for an object field, 0 for a leaf. */
  weights?: Record<string, number>;
  /** How many items a list without `first`/`last` is assumed to hold. */
  defaultListSize: number;
}

const SIZE_ARGUMENTS = ['first', 'last'];

/**
 * Estimated work for an operation: each field costs its weight once per time it runs, and a
 * list multiplies what is below it by its size. The size comes from `first`/`last` (literal,
 * variable, variable default or argument default); on a connection (an object such as
 * `products(first: 20)`) it sizes the lists directly inside it (`edges`), so `pageInfo` is
 * counted once. Fragments are expanded, each costed once per context; cycles count nothing.
 */
export function estimateCost(document: DocumentNode, operationName: string | null | undefined, options: CostOptions): number {
  const fragments = fragmentsOf(document);
  const weights = options.weights ?? {};
  const { schema } = options;

  const costOperation = (operation: OperationDefinitionNode): number => {
    const variableDefaults = new Map<string, unknown>();
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.defaultValue) variableDefaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
    }
    const variable = (name: string): unknown => options.variables?.[name] ?? variableDefaults.get(name);

    const sizeOf = (field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined): number | undefined => {
      for (const argument of field.arguments ?? []) {
        if (!SIZE_ARGUMENTS.includes(argument.name.value)) continue;
        const value = argument.value.kind === Kind.VARIABLE ? variable(argument.value.name.value) : valueFromASTUntyped(argument.value);
        if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
      }
      const fallback = definition?.args.find((arg) => SIZE_ARGUMENTS.includes(arg.name))?.defaultValue;
      return typeof fallback === 'number' ? fallback : undefined;
    };

    const memo = new Map<string, number>();
    const visiting = new Set<string>();

    const costOf = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, pendingSize: number | undefined): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (isIntrospectionField(name)) continue;
          const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
          const weight = weights[`${parent?.name ?? ''}.${name}`] ?? (selection.selectionSet ? 1 : 0);
          total += weight;
          if (!selection.selectionSet) continue;
          const size = sizeOf(selection, definition);
          let factor: number;
          let childPending: number | undefined;
          if (!definition) {
            factor = size ?? 1;
          } else if (isListType(getNullableType(definition.type))) {
            factor = size ?? pendingSize ?? options.defaultListSize;
          } else {
            factor = 1;
            childPending = size;
          }
          const child = getNamedType(definition?.type);
          total += factor * costOf(selection.selectionSet, child && isCompositeType(child) ? child : undefined, childPending);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const typed = selection.typeCondition ? schema?.getType(selection.typeCondition.name.value) : parent;
          total += costOf(selection.selectionSet, typed, pendingSize);
        } else {
          const fragment = fragments.get(selection.name.value);
          if (!fragment) continue;
          const key = `${fragment.name.value}:${pendingSize ?? ''}`;
          const known = memo.get(key);
          if (known !== undefined) {
            total += known;
            continue;
          }
          if (visiting.has(key)) continue;
          visiting.add(key);
          const cost = costOf(fragment.selectionSet, schema?.getType(fragment.typeCondition.name.value), pendingSize);
          visiting.delete(key);
          memo.set(key, cost);
          total += cost;
        }
      }
      return total;
    };

    const rootType = schema?.getRootType(operation.operation) ?? undefined;
    return costOf(operation.selectionSet, rootType, undefined);
  };

  return Math.max(0, ...operationsToCheck(document, operationName).map(costOperation));
}

/**
 * Whether the estimate of some operation in the document can change with the variables: a
 * `first`/`last` argument given as a variable. When none is, the estimate depends on the
 * document and the schema alone.
 */
export function costReadsVariables(document: DocumentNode): boolean {
  let reads = false;
  visit(document, {
    Argument(argument) {
      if (!SIZE_ARGUMENTS.includes(argument.name.value) || argument.value.kind !== Kind.VARIABLE) return undefined;
      reads = true;
      return BREAK;
    },
  });
  return reads;
}
