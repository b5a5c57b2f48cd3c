import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { countAliases } from './aliases';
import { countAuthFields } from './auth-fields';
import { costReadsVariables, estimateCost } from './cost';
import { queryDepth } from './depth';
import { countRootFields } from './root-fields';

export { parseWithinTokens, isTooManyTokensMessage } from './tokens';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxCost: number;
  defaultListSize: number;
  costWeights: Record<string, number>;
}

export const LIMIT_CODES = [
  'TOO_MANY_AUTH_FIELDS',
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_ROOT_FIELDS',
  'TOO_MANY_TOKENS',
  'QUERY_TOO_COSTLY',
  'BODY_TOO_LARGE',
] as const;
export type LimitCode = (typeof LIMIT_CODES)[number];

export interface LimitViolation {
  code: LimitCode;
  message: string;
}

export interface OperationInput {
  operationName?: string | null;
  variables?: Record<string, unknown>;
  schema?: GraphQLSchema;
}

/** The first limit a parsed operation breaks, cheapest checks first; null when it is within all of them. */
export function checkLimits(document: DocumentNode, input: OperationInput, limits: QueryLimits): LimitViolation | null {
  const { operationName } = input;
  // One password guess (or session change) per request: ten aliased logIns are ten guesses.
  const authFields = countAuthFields(document, operationName);
  if (authFields > 1) {
    return {
      code: 'TOO_MANY_AUTH_FIELDS',
      message: `The operation holds ${authFields} of logIn, signUp, refreshSession and logOut; send at most one per request.`,
    };
  }
  const rootFields = countRootFields(document, operationName);
  if (rootFields > limits.maxRootFields) {
    return { code: 'TOO_MANY_ROOT_FIELDS', message: `The operation asks for ${rootFields} root fields; the limit is ${limits.maxRootFields}.` };
  }
  const aliases = countAliases(document, operationName);
  if (aliases > limits.maxAliases) {
    return { code: 'TOO_MANY_ALIASES', message: `The operation uses ${aliases} aliases; the limit is ${limits.maxAliases}.` };
  }
  const depth = queryDepth(document, operationName);
  if (depth > limits.maxDepth) {
    return { code: 'QUERY_TOO_DEEP', message: `The operation is ${depth} levels deep; the limit is ${limits.maxDepth}.` };
  }
  const cost = estimateCost(document, operationName, {
    schema: input.schema,
    variables: input.variables,
    weights: limits.costWeights,
    defaultListSize: limits.defaultListSize,
  });
  if (cost > limits.maxCost) {
    const shown = Number.isFinite(cost) ? String(cost) : 'more than can be counted';
    return { code: 'QUERY_TOO_COSTLY', message: `The operation's estimated cost is ${shown}; the limit is ${limits.maxCost}.` };
  }
  return null;
}

export const tooManyTokens = (limits: QueryLimits): LimitViolation => ({
  code: 'TOO_MANY_TOKENS',
  message: `The document has more than ${limits.maxTokens} tokens.`,
});

/** As Apollo Server sends it: the code for clients, HTTP 400. */
export function limitError(violation: LimitViolation): GraphQLError {
  return new GraphQLError(violation.message, { extensions: { code: violation.code, http: { status: 400 } } });
}

interface Verdict {
  schema: GraphQLSchema | undefined;
  violation: LimitViolation | null;
}

interface DocumentVerdicts {
  /** Some list size comes from a variable: every request is checked. */
  readsVariables: boolean;
  byOperationName: Map<string, Verdict>;
}

/**
 * checkLimits, remembered per parsed document and operation name while the schema stays the
 * same, for documents whose verdict cannot change with the variables: clients send the same
 * few documents over and over, and walking each on every request showed in the router's
 * profile. Documents are held weakly: a document its owner's cache drops is forgotten here.
 */
export function limitChecker(limits: QueryLimits): (document: DocumentNode, input: OperationInput) => LimitViolation | null {
  const verdicts = new WeakMap<DocumentNode, DocumentVerdicts>();
  return (document, input) => {
    let known = verdicts.get(document);
    if (!known) verdicts.set(document, (known = { readsVariables: costReadsVariables(document), byOperationName: new Map() }));
    if (known.readsVariables) return checkLimits(document, input, limits);
    const name = input.operationName ?? '';
    const verdict = known.byOperationName.get(name);
    if (verdict && verdict.schema === input.schema) return verdict.violation;
    const violation = checkLimits(document, input, limits);
    // Operation names come from the request: bounded so one document cannot grow without end.
    if (known.byOperationName.size >= 16) known.byOperationName.clear();
    known.byOperationName.set(name, { schema: input.schema, violation });
    return violation;
  };
}
