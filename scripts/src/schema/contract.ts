import {
  buildASTSchema,
  findBreakingChanges,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
  parse,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/** Federation directives whose presence on a type is part of the contract. */
const CONTRACT_DIRECTIVES = new Set(['key', 'shareable']);

/**
 * Builds a subgraph SDL as plain GraphQL. Federation directives (@link, @key, @shareable)
 * are left undeclared: assumeValidSDL skips the check that would reject them, and their
 * uses stay on the AST nodes for typeDirectives below.
 */
export function buildSdl(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

const kindOf = (type: GraphQLNamedType) =>
  isObjectType(type)
    ? 'object'
    : isInterfaceType(type)
      ? 'interface'
      : isUnionType(type)
        ? 'union'
        : isEnumType(type)
          ? 'enum'
          : isInputObjectType(type)
            ? 'input'
            : 'scalar';

const defaultOf = (value: GraphQLArgument | GraphQLInputField) => (value.defaultValue === undefined ? 'none' : JSON.stringify(value.defaultValue));

function typeDirectives(type: GraphQLNamedType): Set<string> {
  const nodes = [type.astNode, ...(type.extensionASTNodes ?? [])];
  const printed = new Set<string>();
  for (const node of nodes) {
    for (const directive of node?.directives ?? []) {
      if (CONTRACT_DIRECTIVES.has(directive.name.value)) printed.add(print(directive));
    }
  }
  return printed;
}

function compareArguments(where: string, contract: readonly GraphQLArgument[], generated: readonly GraphQLArgument[], problems: string[]) {
  for (const arg of contract) {
    const mine = generated.find((a) => a.name === arg.name);
    if (!mine) problems.push(`${where}(${arg.name}:) is missing`);
    else if (String(mine.type) !== String(arg.type)) problems.push(`${where}(${arg.name}:) is ${String(mine.type)}, the contract says ${String(arg.type)}`);
    else if (defaultOf(mine) !== defaultOf(arg)) problems.push(`${where}(${arg.name}:) defaults to ${defaultOf(mine)}, the contract says ${defaultOf(arg)}`);
  }
}

function compareFields(
  typeName: string,
  contract: Record<string, GraphQLField<unknown, unknown>>,
  generated: Record<string, GraphQLField<unknown, unknown>>,
  problems: string[],
) {
  for (const field of Object.values(contract)) {
    const mine = generated[field.name];
    const where = `${typeName}.${field.name}`;
    if (!mine) {
      problems.push(`${where} is missing`);
      continue;
    }
    if (String(mine.type) !== String(field.type)) problems.push(`${where} is ${String(mine.type)}, the contract says ${String(field.type)}`);
    compareArguments(where, field.args, mine.args, problems);
  }
}

/**
 * Every type, field, argument, input field, enum value and union member of the contract
 * exists in the generated schema with the same type, nullability and default, and every
 * contract @key/@shareable is on the generated type. Additions are allowed.
 */
export function missingFromContract(contract: GraphQLSchema, generated: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const type of Object.values(contract.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    const mine = generated.getType(type.name);
    if (!mine) {
      problems.push(`type ${type.name} is missing`);
      continue;
    }
    if (kindOf(mine) !== kindOf(type)) {
      problems.push(`${type.name} is a ${kindOf(mine)}, the contract says ${kindOf(type)}`);
      continue;
    }
    for (const directive of typeDirectives(type)) {
      if (!typeDirectives(mine).has(directive)) problems.push(`${type.name} lacks ${directive}`);
    }
    if ((isObjectType(type) && isObjectType(mine)) || (isInterfaceType(type) && isInterfaceType(mine))) {
      compareFields(type.name, type.getFields(), mine.getFields(), problems);
    } else if (isInputObjectType(type) && isInputObjectType(mine)) {
      const fields = mine.getFields();
      for (const field of Object.values(type.getFields())) {
        const own = fields[field.name];
        const where = `${type.name}.${field.name}`;
        if (!own) problems.push(`${where} is missing`);
        else if (String(own.type) !== String(field.type)) problems.push(`${where} is ${String(own.type)}, the contract says ${String(field.type)}`);
        else if (defaultOf(own) !== defaultOf(field)) problems.push(`${where} defaults to ${defaultOf(own)}, the contract says ${defaultOf(field)}`);
      }
      for (const field of Object.values(fields)) {
        if (!type.getFields()[field.name] && String(field.type).endsWith('!') && field.defaultValue === undefined) {
          problems.push(`${type.name}.${field.name} is a new required input field`);
        }
      }
    } else if (isEnumType(type) && isEnumType(mine)) {
      for (const value of type.getValues()) {
        if (!mine.getValue(value.name)) problems.push(`${type.name}.${value.name} is missing`);
      }
    } else if (isUnionType(type) && isUnionType(mine)) {
      for (const member of type.getTypes()) {
        if (!mine.getTypes().some((t) => t.name === member.name)) problems.push(`${type.name} lacks member ${member.name}`);
      }
    }
  }
  return problems;
}

/** graphql-js's breaking changes from the contract to the generated SDL, as readable lines. */
export function breakingChanges(contract: GraphQLSchema, generated: GraphQLSchema): string[] {
  return findBreakingChanges(contract, generated).map((change) => `${change.type}: ${change.description}`);
}

/** Both checks on two SDL texts; an empty list means the generated SDL keeps the contract. */
export function contractProblems(contractSdl: string, generatedSdl: string): string[] {
  const contract = buildSdl(contractSdl);
  const generated = buildSdl(generatedSdl);
  return [...breakingChanges(contract, generated), ...missingFromContract(contract, generated)];
}
