import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { CacheHint, SubgraphEntityCache } from './entity-cache';
import type { Admission } from './front-door';
import { SubgraphClient, type SubgraphResponse } from './subgraph-client';
import { formatTraceparent, ServiceUnavailableError, signRequest, throttledLog, type Identity, type Logger, type RequestScope } from '@shop/runtime';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

export interface RouterContext {
  /** The request's trace and counters. */
  scope: RequestScope;
  identity: Identity | null;
  /** What the front door decided before Apollo saw the request. */
  frontDoor?: Admission;
}

const warnThrottled = throttledLog(10_000);

/** The subgraph's Cache-Control as the gateway's default data source reads it: max-age, and private or public. */
function parseCacheHint(header: string): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  for (const part of header.split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=', 2) as [string, string | undefined];
    if (name === 'max-age' && value !== undefined && /^[0-9]+$/.test(value.replace(/^"|"$/g, ''))) hint.maxAge = Number(value.replace(/^"|"$/g, ''));
    if (name === 'private') hint.scope = 'PRIVATE';
    if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}

// Subgraphs send a handful of distinct Cache-Control values: each is parsed once.
const cacheHints = new Map<string, CacheHint>();
function cacheHint(header: string | null): CacheHint {
  let hint = cacheHints.get(header ?? '');
  if (!hint) {
    hint = Object.freeze(parseCacheHint(header ?? ''));
    if (cacheHints.size >= 100) cacheHints.clear();
    cacheHints.set(header ?? '', hint);
  }
  return hint;
}

/**
 * One per subgraph. Sends the gateway's fetch as a signed POST: the signature covers the
 * subgraph's name, the exact body, the caller's verified identity and a timestamp. Carries
 * the request's trace context and never any of the client's headers. Written directly on a
 * keep-alive pool (SubgraphClient) rather than on RemoteGraphQLDataSource, whose per-call
 * node-fetch Request and header copies showed in the router's profile.
 */
export class SignedDataSource implements GraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly secret: string,
    private readonly log: Logger,
    private readonly client: SubgraphClient = new SubgraphClient(url),
    /** This subgraph's public entities in the router's memory, when it has such a cache. */
    private readonly entityCache?: SubgraphEntityCache,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    // The client's Cache-Control is the most restrictive of the subgraphs' answers.
    const policy = 'incomingRequestContext' in options ? options.incomingRequestContext.overallCachePolicy : undefined;
    const restrict = (hint: CacheHint) => {
      if (policy && 'restrict' in policy) policy.restrict(hint);
    };
    const fetch = this.entityCache?.begin(request) ?? null;
    if (fetch?.hint) restrict(fetch.hint);
    if (fetch && fetch.missing.length === 0) return fetch.answer() as GatewayGraphQLResponse;

    const context = options.context as Partial<RouterContext>;
    const variables = fetch ? fetch.variablesToSend() : request.variables;
    const body = JSON.stringify({ query: request.query, variables, operationName: request.operationName, extensions: request.extensions });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...signRequest(this.secret, { audience: this.name, identity: context.identity ?? null, body }),
    };
    if (context.scope) headers.traceparent = formatTraceparent(context.scope.trace);

    let response: SubgraphResponse;
    try {
      response = await this.client.post(headers, body);
    } catch (error) {
      warnThrottled(`unreachable:${this.name}`, () => this.log.warn({ err: error, subgraph: this.name, url: this.url }, 'subgraph unreachable'));
      throw new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
    }
    if (response.status < 200 || response.status > 299) throw this.errorFromResponse(response);
    let result: unknown;
    try {
      result = JSON.parse(response.body);
    } catch {
      result = undefined;
    }
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new Error(`The ${this.name} service answered with something other than a GraphQL response.`);
    }
    const hint = cacheHint(response.cacheControl);
    restrict(hint);
    return (fetch ? fetch.complete(result as GatewayGraphQLResponse, hint) : result) as GatewayGraphQLResponse;
  }

  /** Closes the connections to the subgraph. */
  close(): Promise<void> {
    return this.client.close();
  }

  // Never the subgraph's URL or body in the client's error; a refused signature would also
  // reach clients as UNAUTHENTICATED although it is the router's fault.
  private errorFromResponse(response: SubgraphResponse): GraphQLError {
    this.log.error({ subgraph: this.name, status: response.status, body: response.body.slice(0, 2_000) }, 'subgraph answered with an HTTP error');
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      return new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
    }
    return new GraphQLError(`The ${this.name} service failed to answer (HTTP ${response.status}).`);
  }
}
