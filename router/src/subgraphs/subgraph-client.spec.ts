import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DRAINING_HEADER } from '@shop/runtime';
import { SubgraphClient } from './subgraph-client';

/** A real HTTP server on a free port, answering with `handle`. */
async function serve(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/graphql?x=1` };
}

const open: Array<{ client?: SubgraphClient; server?: Server }> = [];
afterEach(async () => {
  for (const { client, server } of open.splice(0)) {
    await client?.close();
    if (!server?.listening) continue;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('SubgraphClient', () => {
  it('POSTs the body and headers to the URL’s path and query, and returns the status and body', async () => {
    const { server, url } = await serve((req, body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, signature: req.headers['x-shop-signature'], body }));
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    const response = await client.post({ 'content-type': 'application/json', 'x-shop-signature': 'v2=abc' }, '{"query":"{ a }"}');

    expect(response.status).toBe(200);
    expect(response.cacheControl).toBeNull();
    expect(JSON.parse(response.body)).toEqual({ method: 'POST', url: '/graphql?x=1', signature: 'v2=abc', body: '{"query":"{ a }"}' });
  });

  it('joins repeated Cache-Control headers, whatever their case', async () => {
    const { server, url } = await serve((_req, _body, res) => {
      res.writeHead(200, [
        ['Cache-Control', 'public'],
        ['content-type', 'application/json'],
        ['cache-control', 'max-age=30'],
      ]);
      res.end('{}');
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    expect((await client.post({}, '{}')).cacheControl).toBe('public, max-age=30');
  });

  it('takes the headers of the final answer, not of an informational one before it', async () => {
    const { server, url } = await serve((_req, _body, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload', 'cache-control': 'no-store' }, () => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=30' });
        res.end('{"data":{}}');
      });
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    expect(await client.post({}, '{}')).toEqual({ status: 200, cacheControl: 'public, max-age=30', draining: false, body: '{"data":{}}' });
  });

  it('puts a body sent in chunks back together, a character split between chunks included', async () => {
    const text = JSON.stringify({ data: { name: 'Crème brûlée '.repeat(2_000) } });
    const bytes = Buffer.from(text, 'utf8');
    const split = bytes.indexOf(Buffer.from('è', 'utf8')) + 1; // inside the two bytes of "è"
    const { server, url } = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(bytes.subarray(0, split));
      setTimeout(() => res.end(bytes.subarray(split)), 20);
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    expect((await client.post({}, '{}')).body).toBe(text);
  });

  it('returns error statuses with their body, for the caller to judge', async () => {
    const { server, url } = await serve((_req, _body, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('draining');
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    expect(await client.post({}, '{}')).toEqual({ status: 503, cacheControl: null, draining: false, body: 'draining' });
  });

  it('tells the draining answer (503 with the draining header) from any other 503', async () => {
    const answers: Array<[number, Record<string, string>]> = [
      [503, { [DRAINING_HEADER]: '1', connection: 'close' }],
      [503, { 'X-Shop-Draining': '1' }],
      [503, { [DRAINING_HEADER]: '0' }],
      [200, { [DRAINING_HEADER]: '1' }],
    ];
    let next = 0;
    const { server, url } = await serve((_req, _body, res) => {
      const [status, headers] = answers[next++]!;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end('{}');
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    const seen = [];
    for (let i = 0; i < answers.length; i++) seen.push((await client.post({}, '{}')).draining);
    expect(seen).toEqual([true, true, false, false]);
  });

  it('asks the replica’s /health/ready whether it is ready', async () => {
    let status = 503;
    const paths: string[] = [];
    const { server, url } = await serve((req, _body, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    expect(await client.ready()).toBe(false);
    status = 200;
    expect(await client.ready()).toBe(true);
    expect(paths).toEqual(['GET /health/ready', 'GET /health/ready']);
  });

  it('says not ready when nothing listens, or nothing answers within a second', async () => {
    const hung = await serve(() => undefined);
    const closed = await serve(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));
    const hungClient = new SubgraphClient(hung.url);
    const closedClient = new SubgraphClient(closed.url);
    open.push({ client: hungClient, server: hung.server }, { client: closedClient });

    expect(await closedClient.ready()).toBe(false);
    const started = Date.now();
    expect(await hungClient.ready()).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects when nothing listens at the URL', async () => {
    const { server, url } = await serve(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const client = new SubgraphClient(url);
    open.push({ client });

    await expect(client.post({}, '{}')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects when the headers do not come within the timeout', async () => {
    const { server, url } = await serve(() => undefined); // never answers
    const client = new SubgraphClient(url, { timeoutMs: 200 });
    open.push({ client, server });

    await expect(client.post({}, '{}')).rejects.toThrow(/Headers Timeout/i);
  });

  it('aborts a call when its signal fires (code ABORTED), and does not send one whose signal already has', async () => {
    let received = 0;
    const { server, url } = await serve(() => {
      received += 1; // never answers
    });
    const client = new SubgraphClient(url, { timeoutMs: 10_000 });
    open.push({ client, server });

    const started = Date.now();
    await expect(client.post({}, '{}', AbortSignal.timeout(200))).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received).toBe(1);

    const controller = new AbortController();
    controller.abort();
    await expect(client.post({}, '{}', controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(received).toBe(1);
  });

  it('leaves no listener on a signal once the call is answered', async () => {
    const { server, url } = await serve((_req, _body, res) => res.end('{}'));
    const client = new SubgraphClient(url);
    open.push({ client, server });
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) expect((await client.post({}, '{}', controller.signal)).status).toBe(200);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort(); // nothing left to abort, nothing thrown
    expect((await client.post({}, '{}')).status).toBe(200);
  });

  it('keeps connections alive: calls made one after another reuse them', async () => {
    const sockets = new Set<unknown>();
    const { server, url } = await serve((req, _body, res) => {
      sockets.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const client = new SubgraphClient(url);
    open.push({ client, server });

    for (let i = 0; i < 10; i++) expect((await client.post({}, '{}')).status).toBe(200);
    // A call made the moment the previous one completes may find its connection not yet
    // released and open a second; never one per call.
    expect(sockets.size).toBeLessThanOrEqual(2);
  });
});
