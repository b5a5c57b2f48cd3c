import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { formatTraceparent, ServiceUnavailableError, signRequest, throttledLog, type Logger } from '@shop/runtime';
import type { RouterContext } from '../context';
import type { CacheHint, SubgraphEntityCache } from '../entity-cache';
import type { SubgraphMetrics } from './metrics';
import { BREAKER_STATE_NAMES, BreakerState, type BreakerOptions } from './breaker';
import { ReplicaSet, type Replica } from './replica-set';
import { FAILURE_EFFECTS, failureOf, isQueryDocument, mayRetry, UNAVAILABLE_ANSWER, type FetchFailure } from './retry-policy';
import { SubgraphClient, type SubgraphResponse } from './subgraph-client';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

export interface SignedDataSourceOptions {
  /** The subgraph's name in the supergraph; also the audience its requests are signed for. */
  name: string;
  /** One URL per replica (each gets its own keep-alive pool). */
  urls: readonly string[];
  secret: string;
  log: Logger;
  /** Longest wait for a replica's answer headers, then between body chunks. */
  timeoutMs?: number;
  /** This subgraph's public entities in the router's memory, when it has such a cache. */
  entityCache?: SubgraphEntityCache;
  metrics?: SubgraphMetrics;
  /** Wait between probes of a replica out of rotation. */
  probeIntervalMs?: { min: number; max: number };
  /** Each replica's circuit breaker; without it, breakers never open. */
  breaker?: BreakerOptions;
  /** The whole client request's deadline, from when the router took it (ms); without it, none. */
  requestTimeoutMs?: number;
}

/** The fetch was cut by the client request's deadline (not a failure of the replica). */
const ABORTED = 'aborted';

/** A subgraph's part of the answer that the request's deadline (ROUTER_REQUEST_TIMEOUT_MS) cut. */
export class SubgraphTimeoutError extends GraphQLError {
  constructor(subgraph: string) {
    super(`The ${subgraph} service did not answer before the request's deadline.`, { extensions: { code: 'TIMEOUT' } });
  }
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
 * keep-alive pool per replica (SubgraphClient) rather than on RemoteGraphQLDataSource, whose
 * per-call node-fetch Request and header copies showed in the router's profile.
 *
 * Fetches go to the replicas in rotation (ReplicaSet). A fetch that fails is sent once more,
 * to another replica, when the retry policy allows it: a query (entity fetches included) after
 * any failure, the fetch carrying a mutation's root fields only when it certainly did not run
 * (connection refused, or the draining answer). The signature names no replica, so the same
 * headers and body go again.
 *
 * Each replica has a circuit breaker (see ReplicaSet): when every replica's breaker is open, the
 * fetch fails at once with SERVICE_UNAVAILABLE, and the gateway answers the rest of the query.
 * Every fetch of one client request carries that request's AbortSignal (made on its first
 * fetch, from the deadline in its context): a fetch still out at the deadline is aborted, and
 * one started after it is not sent; either fails with TIMEOUT and is not retried.
 */
export class SignedDataSource implements GraphQLDataSource<RouterContext> {
  readonly name: string;
  readonly replicas: ReplicaSet<SubgraphClient>;
  private readonly secret: string;
  private readonly log: Logger;
  private readonly entityCache: SubgraphEntityCache | undefined;
  private readonly metrics: SubgraphMetrics | undefined;
  private readonly requestTimeoutMs: number | undefined;

  constructor(options: SignedDataSourceOptions) {
    this.name = options.name;
    this.secret = options.secret;
    this.log = options.log;
    this.entityCache = options.entityCache;
    this.metrics = options.metrics;
    this.requestTimeoutMs = options.requestTimeoutMs;
    const clients = options.urls.map((url) => new SubgraphClient(url, { timeoutMs: options.timeoutMs }));
    this.replicas = new ReplicaSet(clients, {
      probe: (client) => client.ready(),
      probeIntervalMs: options.probeIntervalMs,
      onChange: (replica) => this.onRotationChange(replica),
      breaker: options.breaker,
      onBreakerChange: (replica, from) => this.onBreakerChange(replica, from),
    });
  }

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const query = request.query;
    if (!query) throw new Error('Missing query');
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
    const body = JSON.stringify({ query, variables, operationName: request.operationName, extensions: request.extensions });
    const signal = this.deadlineSignal(context);
    if (signal?.aborted) throw new SubgraphTimeoutError(this.name);
    const replica = this.replicas.pick();
    if (!replica) throw this.unavailable('open', false);
    const sent = await this.send(replica, this.signedHeaders(context, body), body, signal);
    const response = typeof sent === 'string' ? await this.retry(replica, sent, query, context, body, signal) : sent;
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

  /** Stops probing and closes the connections to every replica. */
  async close(): Promise<void> {
    this.replicas.stop();
    await Promise.all(this.replicas.replicas.map((replica) => replica.target.close()));
  }

  /**
   * The signal the client request's fetches carry: aborted at its deadline. Made on the
   * request's first fetch (a request answered without any makes none), from the time the
   * router took it, and kept in its context for the others.
   */
  private deadlineSignal(context: Partial<RouterContext>): AbortSignal | undefined {
    if (this.requestTimeoutMs === undefined || context.receivedAt === undefined) return undefined;
    if (!context.deadline) {
      const left = context.receivedAt + this.requestTimeoutMs - Date.now();
      context.deadline = AbortSignal.timeout(Math.max(left, 0));
    }
    return context.deadline;
  }

  /**
   * One replica's answer, or why there was none. A replica that refused, timed out or is draining
   * leaves the rotation; any failure but draining, and an unavailable answer, counts towards
   * opening its breaker; a fetch cut by the request's deadline says nothing about the replica.
   */
  private async send(
    replica: Replica<SubgraphClient>,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<SubgraphResponse | FetchFailure | typeof ABORTED> {
    const failures = replica.failures;
    let response: SubgraphResponse;
    try {
      response = await replica.target.post(headers, body, signal);
    } catch (error) {
      if (signal?.aborted) {
        this.replicas.abandoned(replica);
        return ABORTED;
      }
      const failure = failureOf(error);
      this.replicas.failed(replica, FAILURE_EFFECTS[failure]);
      warnThrottled(`failed:${this.name}:${failure}`, () =>
        this.log.warn({ err: error, subgraph: this.name, url: replica.target.url, failure }, 'subgraph replica failed'),
      );
      return failure;
    }
    if (response.draining) {
      this.replicas.failed(replica, FAILURE_EFFECTS.draining);
      return 'draining';
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) this.replicas.failed(replica, UNAVAILABLE_ANSWER);
    else this.replicas.succeeded(replica, failures);
    return response;
  }

  /**
   * After `failure` at `first`: once more at another replica when the policy allows it (and a
   * replica's breaker admits it), else SERVICE_UNAVAILABLE (never the network error); TIMEOUT
   * when the request's deadline cut either.
   */
  private async retry(
    first: Replica<SubgraphClient>,
    failure: FetchFailure | typeof ABORTED,
    query: string,
    context: Partial<RouterContext>,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<SubgraphResponse> {
    if (failure === ABORTED || signal?.aborted) throw new SubgraphTimeoutError(this.name);
    let outcome: SubgraphResponse | FetchFailure | typeof ABORTED = failure;
    const other = mayRetry(failure, isQueryDocument(query)) ? this.replicas.pick(first) : null;
    if (other) {
      this.metrics?.retried(this.name, failure);
      // Signed anew: after a timeout, the first signature may be near the subgraphs' allowed age.
      outcome = await this.send(other, this.signedHeaders(context, body), body, signal);
    }
    if (outcome === ABORTED) throw new SubgraphTimeoutError(this.name);
    if (typeof outcome !== 'string') return outcome;
    throw this.unavailable(outcome, other !== null);
  }

  /** SERVICE_UNAVAILABLE after `failure` (`open`: every replica's breaker was open, nothing was sent). */
  private unavailable(failure: FetchFailure | 'open', retried: boolean): ServiceUnavailableError {
    warnThrottled(`unavailable:${this.name}:${failure}`, () =>
      this.log.warn({ subgraph: this.name, failure, retried }, 'subgraph unavailable: no replica answered'),
    );
    return new ServiceUnavailableError(`The ${this.name} service is unavailable right now.`);
  }

  private signedHeaders(context: Partial<RouterContext>, body: string): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...signRequest(this.secret, { audience: this.name, identity: context.identity ?? null, body }),
    };
    if (context.scope) headers.traceparent = formatTraceparent(context.scope.trace);
    return headers;
  }

  private onRotationChange(replica: Replica<SubgraphClient>): void {
    const fields = { subgraph: this.name, url: replica.target.url, inRotation: this.replicas.inRotation, replicas: this.replicas.replicas.length };
    if (replica.inRotation) this.log.info(fields, 'subgraph replica is back in rotation');
    else this.log.warn(fields, 'subgraph replica left the rotation');
  }

  private onBreakerChange(replica: Replica<SubgraphClient>, from: BreakerState): void {
    const { breaker } = replica;
    const fields = {
      subgraph: this.name,
      url: replica.target.url,
      breaker: BREAKER_STATE_NAMES[breaker.state],
      from: BREAKER_STATE_NAMES[from],
      consecutiveFailures: breaker.consecutiveFailures,
    };
    if (breaker.state === BreakerState.open) this.log.warn(fields, 'subgraph replica circuit breaker opened');
    else this.log.info(fields, `subgraph replica circuit breaker is ${fields.breaker}`);
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
