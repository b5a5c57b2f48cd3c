import type { GraphQLFormattedError } from 'graphql';
import { formatErrorFor } from '@shop/runtime';
import { isTooManyTokensMessage, LIMIT_CODES } from './limits';

/** Codes the router itself gives; the shared formatter would mask them as unexpected. */
export const ROUTER_CODES: ReadonlySet<unknown> = new Set<unknown>([...LIMIT_CODES, 'PERSISTED_QUERY_NOT_IN_LIST', 'PERSISTED_QUERY_ID_REQUIRED', 'TIMEOUT']);

const SUGGESTION = / ?Did you mean .+\?$/;

/**
 * The shared formatter (known codes pass, anything else is masked outside development), plus
 * the router's own codes, and in production no "Did you mean …?" hints that would leak the
 * schema. Validation messages also lose them through Apollo's hideSchemaDetailsFromClientErrors;
 * this catches the rest (variable coercion in the gateway).
 */
export function routerFormatError(production: boolean) {
  const shared = formatErrorFor(production);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let result: GraphQLFormattedError;
    const code = formatted.extensions?.code;
    if (code === 'GRAPHQL_PARSE_FAILED' && isTooManyTokensMessage(formatted.message)) {
      result = { message: formatted.message, extensions: { code: 'TOO_MANY_TOKENS' } };
    } else if (ROUTER_CODES.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      result = production ? { ...formatted, extensions } : formatted;
    } else {
      result = shared(formatted, error);
    }
    return production ? { ...result, message: result.message.replace(SUGGESTION, '') } : result;
  };
}
