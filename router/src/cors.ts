import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
].join(', ');

/**
 * CORS for browser clients on the allowed origins. Wraps the server's request handler:
 * preflights are answered here, other requests get the headers and go on. Tokens travel in
 * the Authorization header, not cookies, so credentials are not allowed.
 */
export function applyCors(server: Server, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins);
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const permitted = origin !== undefined && allowed.has(origin);
    res.setHeader('vary', 'Origin');
    if (permitted) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'traceresponse');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (permitted) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', '600');
      }
      res.writeHead(204).end();
      return;
    }
    for (const handler of handlers) handler(req, res);
  });
}

/**
 * Every response is `no-store` unless Apollo's cache policy says otherwise (it sets the header
 * later, from the subgraphs' hints). Refusals written before Apollo sees the request (limits,
 * persisted-query policy, tokens, body size) are then never kept by a CDN either.
 */
export function applyNoStoreDefault(server: Server): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('cache-control', 'no-store');
    for (const handler of handlers) handler(req, res);
  });
}
