import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import { HttpError, type Logger } from '@shop/runtime';
import { limitChecker, limitError, parseWithinTokens, tooManyTokens, type LimitViolation, type QueryLimits } from './limits';
import type { ManifestStore } from './persisted-queries/manifest-store';
import { resolveOperation, type PersistedQueryMode } from './persisted-queries/policy';

/** What the front door decided for a request, handed to Apollo through the context. */
export interface Admission {
  /** The manifest body to run instead of what the request carries. */
  substitute?: string;
  /** The limits were checked on the text this request runs. */
  checked: boolean;
}

interface GraphQLParams {
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  id?: string;
}

interface Who {
  traceId: string;
  clientAddress?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function paramsFrom(raw: { query?: unknown; operationName?: unknown; variables?: unknown; extensions?: unknown }): GraphQLParams {
  const persisted = isObject(raw.extensions) ? raw.extensions.persistedQuery : undefined;
  const id = isObject(persisted) && typeof persisted.sha256Hash === 'string' && persisted.sha256Hash !== '' ? persisted.sha256Hash : undefined;
  return {
    query: typeof raw.query === 'string' && raw.query !== '' ? raw.query : undefined,
    operationName: typeof raw.operationName === 'string' ? raw.operationName : undefined,
    variables: isObject(raw.variables) ? raw.variables : undefined,
    id,
  };
}

const jsonOrUndefined = (text: string | null): unknown => {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * The GraphQL request as Apollo Server will read it (GET search parameters or a JSON body,
 * `parsedBody`, parsed once for both). Anything else reads as absent here: Apollo answers it
 * with its own 400.
 */
export function readGraphQLParams(req: IncomingMessage, parsedBody: () => unknown): GraphQLParams | null {
  if (req.method === 'GET') {
    const search = new URL(req.url ?? '/', 'http://localhost').searchParams;
    return paramsFrom({
      query: search.get('query'),
      operationName: search.get('operationName'),
      variables: jsonOrUndefined(search.get('variables')),
      extensions: jsonOrUndefined(search.get('extensions')),
    });
  }
  if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').includes('json')) return null;
  const parsed = parsedBody();
  return isObject(parsed) ? paramsFrom(parsed) : null;
}

export interface FrontDoorOptions {
  mode: PersistedQueryMode;
  manifests: ManifestStore;
  limits: QueryLimits;
  maxBodyBytes: number;
  /** The gateway's current API schema, for list sizes in the cost estimate. */
  schema: () => GraphQLSchema | undefined;
  log: Logger;
  registry: Registry;
}

/**
 * Persisted-query policy and query limits, applied before Apollo Server parses, validates or
 * plans anything: `admit` runs on the raw HTTP request and throws an HttpError (HTTP 400 with
 * the code) to refuse it; the plugin swaps in manifest bodies, checks what only Apollo could
 * resolve (APQ hash hits), audits unlisted operations and keeps per-user answers out of
 * shared caches.
 */
export function createFrontDoor(options: FrontDoorOptions) {
  const { mode, manifests, limits, log } = options;
  const refused = new Counter({
    name: 'router_requests_refused_total',
    help: 'Requests the front door refused, by error code',
    labelNames: ['code'],
    registers: [options.registry],
  });
  const unlisted = new Counter({
    name: 'router_operations_unlisted_total',
    help: 'Operations that ran although they are not in the persisted query list (audit mode)',
    registers: [options.registry],
  });
  // Each unlisted operation is logged the first time this process sees it, not on every request.
  const reported = new Set<string>();

  /** `who`: the request's trace id and client address, for the log line. */
  const refuse = (who: Who, status: number, code: string, message: string, operationName?: string): never => {
    refused.inc({ code });
    log.info({ code, operationName, traceId: who.traceId, clientAddress: who.clientAddress }, 'request refused at the front door');
    throw new HttpError(status, message, code);
  };
  const refuseLimit = (who: Who, violation: LimitViolation, operationName?: string): never =>
    refuse(who, 400, violation.code, violation.message, operationName);

  // Clients repeat the same few operations: parse each text once, not on every request (Apollo
  // keeps its own parsed copy too). Bounded in count and in text size; the oldest goes first.
  const parsedDocuments = new Map<string, ReturnType<typeof parseWithinTokens>>();
  const parseCached = (source: string) => {
    let parsed = parsedDocuments.get(source);
    if (!parsed) {
      parsed = parseWithinTokens(source, limits.maxTokens);
      if (source.length > 10_000) return parsed;
      if (parsedDocuments.size >= 1_000) parsedDocuments.delete(parsedDocuments.keys().next().value!);
      parsedDocuments.set(source, parsed);
    }
    return parsed;
  };

  const checkLimits = limitChecker(limits);

  /** `traceId` and `clientAddress`: the request's, for the log line of a refusal. */
  const admit = (req: IncomingMessage, parsedBody: () => unknown, traceId: string, clientAddress?: string): Admission | undefined => {
    const who: Who = { traceId, clientAddress };
    if (req.method === 'GET' && Buffer.byteLength(req.url ?? '') > options.maxBodyBytes) {
      refuse(who, 400, 'BODY_TOO_LARGE', `Request URL is larger than ${options.maxBodyBytes} bytes.`);
    }
    const params = readGraphQLParams(req, parsedBody);
    if (!params) return undefined;
    const resolution = resolveOperation(params, mode, manifests.current);
    if (resolution.kind === 'refuse') return refuse(who, 400, resolution.code, resolution.message, params.operationName);
    if (resolution.kind !== 'run') return { checked: false };

    const parsed = parseCached(resolution.source);
    if ('tooManyTokens' in parsed) refuseLimit(who, tooManyTokens(limits), params.operationName);
    if ('document' in parsed) {
      const violation = checkLimits(parsed.document, { operationName: params.operationName, variables: params.variables, schema: options.schema() });
      if (violation) refuseLimit(who, violation, params.operationName);
    }
    // A syntax error is left to Apollo, which reports it as GRAPHQL_PARSE_FAILED.
    return { substitute: resolution.fromManifest ? resolution.source : undefined, checked: true };
  };

  const plugin: ApolloServerPlugin<{ frontDoor?: Admission }> = {
    async requestDidStart(requestContext) {
      const admission = requestContext.contextValue.frontDoor;
      const { request } = requestContext;
      if (admission?.substitute !== undefined) {
        request.query = admission.substitute;
        if (request.extensions?.persistedQuery) {
          const { persistedQuery: _, ...extensions } = request.extensions;
          request.extensions = extensions;
        }
      }
      // The gateway sets max-age and scope from the subgraphs' Cache-Control; an answer to a
      // signed-in caller may depend on who asked, so shared caches never get it.
      if (request.http?.headers.get('authorization')) requestContext.overallCachePolicy.restrict({ scope: 'PRIVATE' });
      return {
        async didResolveSource({ queryHash }) {
          if (mode !== 'audit' || manifests.current.hasBodyHash(queryHash)) return;
          unlisted.inc();
          if (reported.size >= 10_000) reported.clear();
          if (reported.has(queryHash)) return;
          reported.add(queryHash);
          log.warn({ queryHash, operationName: request.operationName ?? null }, 'operation not in the persisted query list (audit mode)');
        },
        async didResolveOperation({ document, operationName }) {
          if (admission?.checked) return;
          const violation = checkLimits(document, { operationName, variables: request.variables, schema: options.schema() });
          if (violation) {
            refused.inc({ code: violation.code });
            throw limitError(violation);
          }
        },
      };
    },
  };

  return { admit, plugin };
}
