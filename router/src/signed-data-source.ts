import type { GraphQLDataSource, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { Admission } from './front-door';
import { keepAliveFetcher } from './http-fetcher';
import {
  formatTraceparent,
  ServiceUnavailableError,
  signRequest,
  throttledLog,
  type Identity,
  type Logger,
  type RequestScope,
} from '@shop/runtime';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

export interface RouterContext {
  /** The request's trace and counters. */
  scope: RequestScope;
  identity: Identity | null;
  /** What the front door decided before Apollo saw the request. */
  frontDoor?: Admission;
}

const warnThrottled = throttledLog(10_000);

/** The subgraph's Cache-Control as the gateway's default data source reads it: max-age, and private or public. */
function cacheHint(header: string | null): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  for (const part of (header ?? '').split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=', 2) as [string, string | undefined];
    if (name === 'max-age' && value !== undefined && /^[0-9]+$/.test(value.replace(/^"|"$/g, ''))) hint.maxAge = Number(value.replace(/^"|"$/g, ''));
    if (name === 'private') hint.scope = 'PRIVATE';
    if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}

/**
 * One per subgraph. Sends the gateway's fetch as a signed POST: the signature covers the
 * subgraph's name, the exact body, the caller's verified identity and a timestamp. Carries
 * the request's trace context and never any of the client's headers. Written directly on a
 * keep-alive pool rather than on RemoteGraphQLDataSource, whose per-call node-fetch Request
 * and header copies showed in the router's profile.
 */
export class SignedDataSource implements GraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly secret: string,
    private readonly log: Logger,
    private readonly send: Fetcher = keepAliveFetcher(),
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const context = options.context as Partial<RouterContext>;
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...signRequest(this.secret, { audience: this.name, identity: context.identity ?? null, body }),
    };
    if (context.scope) headers.traceparent = formatTraceparent(context.scope.trace);

    let response: FetcherResponse;
    try {
      response = await this.send(this.url, { method: 'POST', headers, body });
    } catch (error) {
      warnThrottled(`unreachable:${this.name}`, () => this.log.warn({ err: error, subgraph: this.name, url: this.url }, 'subgraph unreachable'));
      throw new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
    }
    if (!response.ok) throw await this.errorFromResponse(response);
    const result: unknown = await response.json();
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new Error(`The ${this.name} service answered with something other than a GraphQL response.`);
    }
    // The client's Cache-Control is the most restrictive of the subgraphs' answers.
    if ('incomingRequestContext' in options) {
      const policy = options.incomingRequestContext.overallCachePolicy;
      if (policy && 'restrict' in policy) policy.restrict(cacheHint(response.headers.get('cache-control')));
    }
    return { ...(result as GatewayGraphQLResponse), http: response };
  }

  // Never the subgraph's URL or body in the client's error; a refused signature would also
  // reach clients as UNAUTHENTICATED although it is the router's fault.
  private async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await response.text().catch(() => '');
    this.log.error({ subgraph: this.name, status: response.status, body: body.slice(0, 2_000) }, 'subgraph answered with an HTTP error');
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      return new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
    }
    return new GraphQLError(`The ${this.name} service failed to answer (HTTP ${response.status}).`);
  }
}
