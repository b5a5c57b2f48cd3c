import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { childTrace, formatTraceparent, newRequestScope, parseTraceparent, type RequestScope } from '../observability/trace';

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function graphqlError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] });
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
export async function startHttpServer<TContext extends BaseContext>(
  options: HttpServerOptions<TContext>,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const { graphql, routes, log } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const trace = childTrace(parseTraceparent(req.headers.traceparent as string | undefined));
    res.setHeader('traceresponse', formatTraceparent(trace));
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
  return {
    server,
    url: `http://${host}:${address.port}${graphql.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function healthRoutes(ready: () => Promise<Record<string, string>>, metrics: Metrics, service: string): Record<string, Route> {
  return {
    '/health/live': (_req, res) => sendJson(res, 200, { status: 'ok', service }),
    '/health/ready': async (_req, res) => {
      const checks = await ready();
      const ok = Object.values(checks).every((v) => v === 'ok');
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
    },
    '/metrics': async (_req, res) => {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
    },
  };
}
