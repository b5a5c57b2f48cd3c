import autocannon from 'autocannon';
import { signRequest } from '@shop/runtime';
import { Samples, summariseLatencies, type LatencySummary } from './stats';

/** How to make the n-th request of a run: a body and its headers (content-type is added). */
export interface RequestPlan {
  url: string;
  request(n: number): { body: string; headers: Record<string, string> };
  /**
   * The requests repeat after this many: the load generator then builds each once. Absent when
   * every request must be made as it is sent (a signature carries the time).
   */
  cycle?: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function routerPlan(url: string, bodies: readonly string[], tokens: readonly (string | null)[]): RequestPlan {
  return {
    url,
    cycle: (bodies.length / gcd(bodies.length, tokens.length)) * tokens.length,
    request(n) {
      const token = tokens[n % tokens.length];
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      return { body: bodies[n % bodies.length]!, headers };
    },
  };
}

/** Straight to a subgraph (`audience`: its name), signed as the router signs, for an anonymous caller. */
export function signedPlan(url: string, audience: string, bodies: readonly string[], secret: string): RequestPlan {
  return {
    url,
    request(n) {
      const body = bodies[n % bodies.length]!;
      return { body, headers: signRequest(secret, { audience, identity: null, body }) };
    },
  };
}

export interface Answer {
  status: number;
  body: any;
}

export async function sendOne(plan: RequestPlan, n = 0): Promise<Answer> {
  const { body, headers } = plan.request(n);
  const response = await fetch(plan.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** Why an answer is not a clean GraphQL success; null when it is. */
export function answerProblem(answer: Answer): string | null {
  const errors = answer.body?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0];
    return `HTTP ${answer.status}, ${errors.length} GraphQL error(s), first: ${first?.extensions?.code ?? 'no code'}: ${first?.message}`;
  }
  if (answer.status < 200 || answer.status >= 300) return `HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`;
  if (!answer.body || typeof answer.body !== 'object' || !answer.body.data) return `no data in the answer: ${JSON.stringify(answer.body).slice(0, 300)}`;
  return null;
}

export interface LoadResult {
  seconds: number;
  responses: number;
  rps: number;
  latencyMs: LatencySummary;
  non2xx: number;
  /** 2xx answers whose body has an `errors` member. */
  graphqlErrors: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  statusCodes: Record<string, number>;
  firstError?: string;
}

export const loadErrors = (result: LoadResult) => result.non2xx + result.graphqlErrors + result.socketErrors;

export interface LoadOptions {
  connections: number;
  /** How long the load runs, at most (until `until` settles, when given). */
  seconds: number;
  /** Stops the load (within a second) once it settles. */
  until?: Promise<unknown>;
  /** Told of every failed answer as it arrives (a non-2xx, a 2xx with `errors`, a socket error or timeout), for counting by time. */
  onError?: (description: string) => void;
}

/**
 * Loads the URL for `seconds` with `connections` keep-alive connections, each request made
 * by the plan. Every answer is checked for GraphQL errors; latencies are kept whole, so the
 * percentiles are exact.
 */
export function runLoad(plan: RequestPlan, options: LoadOptions, crashed: Promise<never>): Promise<LoadResult> {
  let next = 0;
  let non2xx = 0;
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const latencies = new Samples();
  const statusCodes: Record<string, number> = {};
  let instance: autocannon.Instance | undefined;
  const build = (n: number) => {
    const { body, headers } = plan.request(n);
    return { body, headers: { 'content-type': 'application/json', ...headers } };
  };
  const prebuilt = plan.cycle ? Array.from({ length: plan.cycle }, (_, n) => build(n)) : undefined;
  const failed = (description: string) => {
    firstError ??= description;
    options.onError?.(description);
  };
  const onResponse = (status: number, body: string) => {
    if (status < 200 || status >= 300) failed(`HTTP ${status}: ${body.slice(0, 500)}`);
    else if (body.includes('"errors"')) {
      graphqlErrors += 1;
      failed(body.slice(0, 500));
    }
  };
  const finished = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: plan.url,
        method: 'POST',
        connections: options.connections,
        duration: options.seconds,
        timeout: 30,
        headers: { 'content-type': 'application/json' },
        // One shared counter hands out the requests, so the connections spread over the skus and
        // users instead of walking the same list in step. Requests that repeat are built once:
        // the load generator shares the machine with what it measures.
        requests: [
          {
            setupRequest: (request) => {
              const n = next++;
              return { ...request, ...(prebuilt ? prebuilt[n % prebuilt.length]! : build(n)) };
            },
            onResponse,
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const responses = latencies.length;
        resolve({
          seconds: result.duration,
          responses,
          rps: result.duration > 0 ? responses / result.duration : 0,
          latencyMs: summariseLatencies(latencies.values()),
          non2xx,
          graphqlErrors,
          socketErrors: result.errors,
          statusCodes,
          firstError,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode >= 300) non2xx += 1;
    });
    instance.on('reqError', (error: Error) => failed(`request error: ${error.message}`));
    void options.until?.then(
      () => instance?.stop(),
      () => instance?.stop(),
    );
  });
  return Promise.race([
    finished,
    crashed.catch((error) => {
      instance?.stop();
      throw error;
    }),
  ]);
}
