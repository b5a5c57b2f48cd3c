import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { routerFormatError } from './format-error';

const production = routerFormatError(true);
const development = routerFormatError(false);
const format = (formatter: ReturnType<typeof routerFormatError>, message: string, extensions: Record<string, unknown>) =>
  formatter({ message, extensions }, new GraphQLError(message, { extensions }));

describe('routerFormatError', () => {
  it('passes the router’s limit and persisted-query codes, without a stack trace in production', () => {
    expect(format(production, 'The operation is 20 levels deep; the limit is 12.', { code: 'QUERY_TOO_DEEP', stacktrace: ['at x'] })).toEqual({
      message: 'The operation is 20 levels deep; the limit is 12.',
      extensions: { code: 'QUERY_TOO_DEEP' },
    });
    expect(format(production, 'not listed', { code: 'PERSISTED_QUERY_NOT_IN_LIST' }).extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(format(development, 'deep', { code: 'QUERY_TOO_DEEP', stacktrace: ['at x'] }).extensions?.stacktrace).toEqual(['at x']);
  });

  it('gives a parse failure from the token limit its own code', () => {
    const formatted = format(production, 'Syntax Error: Document contains more that 3000 tokens. Parsing aborted.', { code: 'GRAPHQL_PARSE_FAILED' });
    expect(formatted.extensions).toEqual({ code: 'TOO_MANY_TOKENS' });
  });

  it('strips "Did you mean" in production only', () => {
    const message =
      'Variable "$status" got invalid value "PENDNG"; Value "PENDNG" does not exist in "OrderStatus" enum. Did you mean the enum value "PENDING"?';
    expect(format(production, message, { code: 'BAD_USER_INPUT' }).message).toBe(
      'Variable "$status" got invalid value "PENDNG"; Value "PENDNG" does not exist in "OrderStatus" enum.',
    );
    expect(format(development, message, { code: 'BAD_USER_INPUT' }).message).toBe(message);
  });

  it('leaves subgraph codes unchanged and masks the unexpected in production', () => {
    expect(format(production, 'You are not allowed to do that.', { code: 'FORBIDDEN' })).toEqual({
      message: 'You are not allowed to do that.',
      extensions: { code: 'FORBIDDEN' },
    });
    const masked = format(production, 'connect ECONNREFUSED 10.0.0.7:5432 at http://product.internal', { code: 'WHATEVER' });
    expect(masked.message).toBe('Internal server error.');
    expect(masked.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
