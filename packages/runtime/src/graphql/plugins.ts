import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { currentScope } from '../observability/trace';
import { isCodedError } from './errors';

/**
 * Apollo Server's `stringifyResult`. Its default indents every response by two spaces, which
 * makes a 50-item answer about a third larger and costs each hop (subgraph to router, router
 * to client) CPU to write, send and parse; machines read these responses, so none is indented.
 */
export const compactJson = (result: unknown): string => JSON.stringify(result);

/** Codes clients may see verbatim; anything else is an unexpected error and is masked. */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'PERSISTED_QUERY_ID_REQUIRED',
]);

/**
 * Known errors pass unchanged; unexpected ones are logged with the trace id and, outside
 * development, reach the client as INTERNAL_SERVER_ERROR with no stack, SQL or URL.
 */
export function formatErrorFor(log: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (isCodedError(original) || (typeof code === 'string' && CLIENT_CODES.has(code))) {
      if (!production) return formatted;
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const traceId = currentScope()?.trace.traceId;
    log.error({ err: original, traceId, path: formatted.path }, 'unexpected error');
    if (!production) return formatted;
    return {
      message: 'Internal server error.',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR', traceId },
    };
  };
}

/**
 * Per request: a histogram sample, SQL statement and cache counters by operation (also sent
 * back as x-sql-statements / x-cache-* headers, which only the router sees), and one log line.
 */
export function requestLogPlugin<T extends BaseContext>(log: Logger, metrics: Metrics): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(ctx) {
          const scope = currentScope();
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const operation = ctx.operationName ?? ctx.request.operationName ?? 'anonymous';
          const errors = ctx.errors?.length ?? 0;
          metrics.requestDuration.observe({ operation, outcome: errors ? 'error' : 'ok' }, seconds);
          if (scope) {
            metrics.sqlStatements.inc({ operation }, scope.sqlStatements);
            metrics.cacheLookups.inc({ operation, result: 'hit' }, scope.cacheHits);
            metrics.cacheLookups.inc({ operation, result: 'miss' }, scope.cacheMisses);
            ctx.response.http.headers.set('x-sql-statements', String(scope.sqlStatements));
            ctx.response.http.headers.set('x-cache-hits', String(scope.cacheHits));
            ctx.response.http.headers.set('x-cache-misses', String(scope.cacheMisses));
          }
          const traceId = scope?.trace.traceId;
          log.info({ operation, durationMs: Math.round(seconds * 1e4) / 10, traceId, errors }, 'graphql request');
          if (scope) {
            log.debug({ operation, traceId, sqlStatements: scope.sqlStatements, cacheHits: scope.cacheHits, cacheMisses: scope.cacheMisses }, 'request counters');
          }
        },
      };
    },
  };
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.values(value).some(containsNul);
  return false;
}

function documentContainsNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING](node) {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  return found;
}

/**
 * Postgres cannot store a NUL character in text; refuse it in any argument up front, as bad
 * input, instead of letting it fail in SQL as an internal error.
 */
export function rejectNulCharactersPlugin<T extends BaseContext>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          if (containsNul(request.variables) || documentContainsNul(document)) {
            throw new GraphQLError('Text must not contain NUL characters.', {
              extensions: { code: 'BAD_USER_INPUT', http: { status: 200 } },
            });
          }
        },
      };
    },
  };
}
