import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { childTrace, formatTraceparent, newRequestScope, parseTraceparent, type RequestScope } from '../observability/trace';
import { DRAINING_HEADER } from './draining';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface GraphQLEndpoint<TContext extends BaseContext> {
  path: string;
  apollo: ApolloServer<TContext>;
  maxBodyBytes: number;
  /**
   * Builds the per-request context around its scope; throw HttpError to refuse the request
   * outright. `body` is the raw body; `parsedBody` parses it once for everyone who asks (the
   * JSON of a JSON POST, else the text; it throws HttpError 400 on malformed JSON).
   */
  context: (req: IncomingMessage, body: Buffer, scope: RequestScope, parsedBody: () => unknown) => Promise<TContext>;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface HttpServerOptions<TContext extends BaseContext> {
  host: string;
  port: number;
  log: Logger;
  graphql: GraphQLEndpoint<TContext>;
  routes: Record<string, Route>;
}

/** The WebSocket close code (and, for other streams, the reason) a stream is ended with at shutdown. */
export const GOING_AWAY = 1001;

/**
 * A long-lived answer (a subscription's event stream or WebSocket) that shutdown must end
 * rather than wait for: `close(1001, 'going away')` ends it, and the client reconnects to
 * another replica.
 */
export interface LongLivedStream {
  close(code: number, reason: string): void;
}

export interface HttpServer {
  server: Server;
  url: string;
  /** True from `drain()` on: /health/ready answers 503 and every new request the draining answer. */
  readonly draining: boolean;
  /** Starts draining now (idempotent). Requests already running go on. */
  drain(): void;
  /**
   * Closes the listener (new connections are refused), ends the registered streams with
   * 1001, closes idle keep-alive connections, waits for the requests in flight (their
   * answers carry `Connection: close`) and resolves once every connection is closed. Drains
   * first if that has not happened. Idempotent.
   */
  close(): Promise<void>;
  /** drain(), then `drainMs` later close(): what stop() and SIGTERM do. Idempotent. */
  shutdown(drainMs: number): Promise<void>;
  /** Registers a long-lived stream for shutdown to end with 1001; the result unregisters it. */
  trackStream(stream: LongLivedStream): () => void;
}

/** What a draining process still answers: the load balancer's checks and the metrics scrape. */
const ANSWERED_WHILE_DRAINING = new Set(['/health/live', '/health/ready', '/metrics']);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function graphqlError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
}

/**
 * The draining answer (see DRAINING_HEADER): 503, `x-shop-draining: 1`, `Connection: close`,
 * nothing run. Sent once the request has arrived whole, so closing the connection after it
 * cannot reset the client while it is still sending.
 */
function sendDrainingAnswer(req: IncomingMessage, res: ServerResponse): void {
  const answer = () => {
    if (res.writableEnded) return;
    sendJson(
      res,
      503,
      { errors: [{ message: 'This server is shutting down and did not run the request; send it again.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] },
      { [DRAINING_HEADER]: '1', connection: 'close' },
    );
  };
  if (req.complete) return answer();
  req.once('end', answer);
  req.once('error', answer);
  // A body that does not arrive within a second is not waited for.
  setTimeout(answer, 1_000).unref();
  req.resume();
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(400, `Request body is larger than ${limit} bytes.`, 'BODY_TOO_LARGE');
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  // Listeners rather than `for await`: an async iterator per request showed in profiles.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.destroy();
      reject(tooLarge());
    });
    let ended = false;
    req.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.once('error', reject);
    // Before 'end', the body never arrived whole. (Checked first: an Error's stack trace
    // costs, and every request closes.)
    req.once('close', () => {
      if (!ended) reject(new HttpError(400, 'The request body was cut off.', 'BAD_REQUEST'));
    });
  });
}

function parseJsonBody(req: IncomingMessage, body: Buffer): unknown {
  if (req.method !== 'POST' || body.length === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('json')) return body.toString('utf8');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.', 'BAD_REQUEST');
  }
}

/**
 * A small node:http integration for Apollo Server: it keeps the raw body (subgraphs check a
 * signature over it), gives every request a scope (its trace and counters) for the GraphQL
 * context, and serves plain routes such as health, metrics and the JWKS beside /graphql.
 */
export async function startHttpServer<TContext extends BaseContext>(options: HttpServerOptions<TContext>): Promise<HttpServer> {
  const { graphql, routes, log } = options;
  let draining = false;
  let closing: Promise<void> | undefined;
  let shuttingDown: Promise<void> | undefined;
  let refused = 0;
  // Requests being answered, to wait for at close and to mark `Connection: close` once draining.
  const inFlight = new Set<ServerResponse>();
  const streams = new Set<LongLivedStream>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const trace = childTrace(parseTraceparent(req.headers.traceparent as string | undefined));
    res.setHeader('traceresponse', formatTraceparent(trace));
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (closing) closeFinishedConnections();
    });
    if (draining) {
      // Whatever is answered now, its connection closes after it.
      res.setHeader('connection', 'close');
      if (url.pathname === '/health/ready') return sendJson(res, 503, { status: 'draining' });
      if (!ANSWERED_WHILE_DRAINING.has(url.pathname)) {
        refused += 1;
        return sendDrainingAnswer(req, res);
      }
    }
    void (async () => {
      try {
        const route = routes[url.pathname];
        if (route) return await route(req, res);
        if (url.pathname !== graphql.path) return sendJson(res, 404, { error: 'not found' });
        const body = await readBody(req, graphql.maxBodyBytes);
        let parsed: { value: unknown } | undefined;
        const parsedBody = () => (parsed ??= { value: parseJsonBody(req, body) }).value;
        const context = await graphql.context(req, body, newRequestScope(trace), parsedBody);
        const headers = new HeaderMap();
        for (const [name, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const response = await graphql.apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsedBody() },
          context: async () => context,
        });
        for (const [name, value] of response.headers) res.setHeader(name, value);
        res.statusCode = response.status ?? 200;
        if (response.body.kind === 'complete') {
          res.end(response.body.string);
        } else {
          for await (const chunk of response.body.asyncIterator) res.write(chunk);
          res.end();
        }
      } catch (error) {
        if (error instanceof HttpError) return graphqlError(res, error);
        log.error({ err: error, traceId: trace.traceId }, 'unhandled request error');
        if (!res.headersSent) graphqlError(res, new HttpError(500, 'Internal server error.', 'INTERNAL_SERVER_ERROR'));
        else res.end();
      }
    })();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  /** While closing: idle connections go at once; once nothing is in flight, every connection goes. */
  function closeFinishedConnections(): void {
    server.closeIdleConnections();
    // Left now: connections with no request running (one half sent, say), which nothing waits for.
    if (inFlight.size === 0) server.closeAllConnections();
  }

  const drain = () => {
    if (draining) return;
    draining = true;
    // Answers still to be written close their connection after them.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
  };

  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      drain();
      const inFlightAtClose = inFlight.size;
      server.close(() => {
        log.info({ refused, inFlightAtClose }, 'drained: listener closed, every request in flight answered');
        resolve();
      });
      for (const stream of streams) {
        try {
          stream.close(GOING_AWAY, 'going away');
        } catch (error) {
          log.warn({ err: error }, 'a long-lived stream failed to close');
        }
      }
      streams.clear();
      closeFinishedConnections();
    }));

  return {
    server,
    url: `http://${host}:${address.port}${graphql.path}`,
    get draining() {
      return draining;
    },
    drain,
    close,
    shutdown: (drainMs) =>
      (shuttingDown ??= (async () => {
        drain();
        log.info({ drainSeconds: drainMs / 1000, inFlight: inFlight.size }, 'draining: /health/ready answers 503 and new requests the draining answer');
        if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
        await close();
      })()),
    trackStream(stream) {
      if (closing) {
        stream.close(GOING_AWAY, 'going away');
        return () => undefined;
      }
      streams.add(stream);
      return () => void streams.delete(stream);
    },
  };
}

/** What /health/ready answers: ready or not (200 or 503), and every check's state for the body. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

/**
 * /health/live (the process is up), /health/ready (it can serve: `readiness()` decides; while
 * draining the server answers 503 itself) and /metrics.
 */
export function healthRoutes(readiness: () => Promise<Readiness>, metrics: Metrics, service: string): Record<string, Route> {
  return {
    '/health/live': (_req, res) => sendJson(res, 200, { status: 'ok', service }),
    '/health/ready': async (_req, res) => {
      const { ready, checks } = await readiness();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks });
    },
    '/metrics': async (_req, res) => {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
    },
  };
}

/**
 * A health probe that answers within `timeoutMs` whatever the dependency does: 'ok', or
 * 'down: <reason>'. A ping still out from an earlier check is waited for again rather than
 * sent once more, so a hung dependency does not collect a pile of pings (and pool connections).
 */
export function boundedProbe(ping: () => Promise<unknown>, timeoutMs: number): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= ping()
      .then(
        () => 'ok',
        (error: Error) => `down: ${error?.message ?? String(error)}`,
      )
      .finally(() => (pending = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`down: no answer within ${timeoutMs} ms`), timeoutMs);
    });
    return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
  };
}
