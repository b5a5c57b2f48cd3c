import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, OperationTypeNode, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RequestScope } from '../observability/trace';
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

/** The context every server here builds: whatever it holds, plus the request's scope. */
export interface ScopedContext {
  scope: RequestScope;
}

/** An error a client may see as it is (a coded domain error or a known code), not a fault of ours. */
export function isClientError(error: GraphQLError | GraphQLFormattedError, original: unknown, moreCodes: ReadonlySet<unknown> = new Set()): boolean {
  const code = error.extensions?.code;
  return isCodedError(original) || (typeof code === 'string' && CLIENT_CODES.has(code)) || moreCodes.has(code);
}

const MASKED_CODE = 'INTERNAL_SERVER_ERROR';

/**
 * Known errors pass unchanged; unexpected ones, outside development, reach the client as
 * INTERNAL_SERVER_ERROR with no stack, SQL or URL. The request log plugin logs them and adds
 * the trace id (formatError is not told which request an error belongs to).
 */
export function formatErrorFor(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isClientError(formatted, original)) {
      if (!production) return formatted;
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (!production) return formatted;
    return {
      message: 'Internal server error.',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: MASKED_CODE },
    };
  };
}

/**
 * Per request: a histogram sample, SQL statement and cache counters by operation, and one log
 * line. A subgraph also sends its counters back as x-sql-statements / x-cache-* headers, which
 * only the router sees (`counterHeaders`); the router, which runs no SQL, sends none to its
 * clients. Unexpected errors are logged with their stack and the trace id, which masked errors
 * also carry to the client so a report can be matched to the log. `clientCodes`: codes this
 * server gives on purpose beyond the shared ones. `logFields`: more for the log line, from the
 * request's context (the router adds the client's address).
 */
export function requestLogPlugin<T extends ScopedContext>(
  log: Logger,
  metrics: Metrics,
  clientCodes: ReadonlySet<unknown> = new Set(),
  { counterHeaders = true, logFields }: { counterHeaders?: boolean; logFields?: (context: T) => Record<string, unknown> } = {},
): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors(ctx) {
          const traceId = ctx.contextValue.scope.trace.traceId;
          for (const error of ctx.errors) {
            const original = unwrapResolverError(error);
            if (!isClientError(error, original, clientCodes)) log.error({ err: original, traceId, path: error.path }, 'unexpected error');
          }
        },
        async willSendResponse(ctx) {
          const { scope } = ctx.contextValue;
          const traceId = scope.trace.traceId;
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const operation = ctx.operationName ?? ctx.request.operationName ?? 'anonymous';
          const errors = ctx.errors?.length ?? 0;
          metrics.requestDuration.observe({ operation, outcome: errors ? 'error' : 'ok' }, seconds);
          metrics.sqlStatements.inc({ operation }, scope.sqlStatements);
          metrics.cacheLookups.inc({ operation, result: 'hit' }, scope.cacheHits);
          metrics.cacheLookups.inc({ operation, result: 'miss' }, scope.cacheMisses);
          if (counterHeaders) {
            ctx.response.http.headers.set('x-sql-statements', String(scope.sqlStatements));
            ctx.response.http.headers.set('x-cache-hits', String(scope.cacheHits));
            ctx.response.http.headers.set('x-cache-misses', String(scope.cacheMisses));
          }
          const body = ctx.response.body;
          if (body.kind === 'single' && body.singleResult.errors?.some((e) => e.extensions?.code === MASKED_CODE)) {
            body.singleResult.errors = body.singleResult.errors.map((e) =>
              e.extensions?.code === MASKED_CODE ? { ...e, extensions: { ...e.extensions, traceId } } : e,
            );
          }
          log.info({ operation, durationMs: Math.round(seconds * 1e4) / 10, traceId, errors, ...logFields?.(ctx.contextValue) }, 'graphql request');
          log.debug({ operation, traceId, sqlStatements: scope.sqlStatements, cacheHits: scope.cacheHits, cacheMisses: scope.cacheMisses }, 'request counters');
        },
      };
    },
  };
}

/**
 * For a subgraph whose every query answer is public data (the product catalogue): each
 * successful query says `public, max-age=<seconds>`, the hint the router folds into the
 * client's Cache-Control. One decision per request instead of Apollo's per-field cache-control
 * hooks, which wrap every resolver of the schema and cost about a tenth of such a subgraph's
 * CPU on a 50-product answer. Mutations and answers with errors get no hint (not cacheable).
 */
export function publicQueryCachePlugin<T extends BaseContext>(maxAgeSeconds: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(ctx) {
          const body = ctx.response.body;
          if (ctx.operation?.operation !== OperationTypeNode.QUERY || body.kind !== 'single' || body.singleResult.errors?.length) return;
          ctx.response.http.headers.set('cache-control', `public, max-age=${maxAgeSeconds}`);
        },
      };
    },
  };
}

// Plain loops: variables can hold a hundred entity representations, walked on every request.
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (containsNul(item)) return true;
    return false;
  }
  for (const key in value) if (Object.hasOwn(value, key) && containsNul((value as Record<string, unknown>)[key])) return true;
  return false;
}

// Apollo hands over the same parsed document for every request of an operation: each is walked once.
const nulVerdicts = new WeakMap<DocumentNode, boolean>();

function documentContainsNul(document: DocumentNode): boolean {
  const known = nulVerdicts.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    [Kind.STRING](node) {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  nulVerdicts.set(document, found);
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
