import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { Admission } from './front-door';
import { keepAliveFetcher } from './http-fetcher';
import {
  formatTraceparent,
  isIdentityHeader,
  ServiceUnavailableError,
  SIGNATURE_HEADERS,
  signRequest,
  throttledLog,
  type Identity,
  type Logger,
  type RequestScope,
} from '@shop/runtime';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface RouterContext {
  /** The request's trace and counters. */
  scope: RequestScope;
  identity: Identity | null;
  /** What the front door decided before Apollo saw the request. */
  frontDoor?: Admission;
}

/**
 * Signs a request with the router's secret over the exact body being sent. The identity
 * travels from willSendRequest in the x-shop-user-* headers; the fetcher reads it back so
 * the signature covers the very bytes and identity on the wire.
 */
export function signingFetcher(secret: string, audience: string, send: Fetcher = keepAliveFetcher()): Fetcher {
  return async (url, init = {}) => {
    const given = init.headers ?? {};
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(given)) {
      if (!isIdentityHeader(name)) headers[name.toLowerCase()] = value;
    }
    const userId = given[SIGNATURE_HEADERS.userId];
    const role = given[SIGNATURE_HEADERS.role];
    const identity: Identity | null = userId && (role === 'CUSTOMER' || role === 'ADMIN') ? { userId, role } : null;
    Object.assign(headers, signRequest(secret, { audience, identity, body: init.body ?? '' }));
    return send(url, { method: init.method, headers, body: init.body, signal: init.signal });
  };
}

const warnThrottled = throttledLog(10_000);

/** One per subgraph: forwards trace context and the verified identity, never a client's headers. */
export class SignedDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    url: string,
    secret: string,
    private readonly log: Logger,
  ) {
    super({ url });
    const signed = signingFetcher(secret, name);
    this.fetcher = async (target, init) => {
      try {
        return await signed(target, init);
      } catch (error) {
        warnThrottled(`unreachable:${name}`, () => log.warn({ err: error, subgraph: name, url: target }, 'subgraph unreachable'));
        throw new ServiceUnavailableError(`The ${name} service is unavailable right now.`);
      }
    };
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = options.request.http!.headers;
    for (const [name] of [...headers]) {
      if (isIdentityHeader(name)) headers.delete(name);
    }
    const context = options.context as Partial<RouterContext>;
    if (context.scope) headers.set('traceparent', formatTraceparent(context.scope.trace));
    const identity = context.identity;
    if (identity) {
      headers.set(SIGNATURE_HEADERS.userId, identity.userId);
      headers.set(SIGNATURE_HEADERS.role, identity.role);
    }
  }

  // The default puts the subgraph's URL and response body into the client's error; a refused
  // signature would also reach clients as UNAUTHENTICATED although it is the router's fault.
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await response.text().catch(() => '');
    this.log.error({ subgraph: this.name, status: response.status, body: body.slice(0, 2_000) }, 'subgraph answered with an HTTP error');
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      return new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
    }
    return new GraphQLError(`The ${this.name} service failed to answer (HTTP ${response.status}).`);
  }
}
