import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRAINING_HEADER } from '@shop/runtime';
import { eventually, routerRequest, startHungServer, TEST_SIGNING_SECRET } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { composeSupergraph, ECHO_SDL, startEchoSubgraph, startRouter, tempDir, type EchoSubgraph } from './fixtures';

const QUERY = '{ greeting }';
const MUTATION = 'mutation { echo(value: "once") }';
const NO_JWKS = 'http://127.0.0.1:9/jwks.json';

interface FakeReplica {
  url: string;
  /** POSTs to /graphql it was sent. */
  received(): number;
  stop(): Promise<void>;
}

/** Answers every request with the draining answer: 503, the draining header, Connection: close; /health/ready too. */
async function startDrainingReplica(): Promise<FakeReplica> {
  let received = 0;
  const server = createHttpServer((req, res) => {
    if (req.method === 'POST') received += 1;
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json', [DRAINING_HEADER]: '1', connection: 'close' });
    res.end('{"errors":[{"message":"draining"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received: () => received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A replica whose connection breaks once a whole request has arrived (`reset`: the request
 * was sent and may have run), or that accepts and never answers (`hang`).
 */
async function startBrokenReplica(behaviour: 'reset' | 'hang'): Promise<FakeReplica> {
  const server = await startHungServer({ reset: behaviour === 'reset' });
  return { url: `${server.url}/graphql`, received: server.received, stop: () => server.close() };
}

/** A sample of the router's /metrics with these labels (besides `service`), or 0 when it has none. */
async function metric(router: RouterApp, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(new URL('/metrics', router.url))).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

const inRotation = (router: RouterApp) => metric(router, 'router_subgraph_replicas_in_rotation', { subgraph: 'product' });
const retries = (router: RouterApp, reason: string) => metric(router, 'router_subgraph_retries_total', { subgraph: 'product', reason });

describe('router: subgraph replicas', () => {
  const files = tempDir();
  const supergraph = files.file('supergraph.graphql', composeSupergraph(ECHO_SDL));
  const cleanups: Array<() => Promise<void>> = [];

  /** A router whose product subgraph is these replicas, in this order; stopped after the test. */
  async function routerOver(replicas: Array<{ url: string }>, env: Record<string, string> = {}): Promise<RouterApp> {
    const router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: supergraph,
      ROUTER_SUBGRAPH_PRODUCT_URL: replicas.map((replica) => replica.url).join(','),
      AUTH_JWKS_URL: NO_JWKS,
      ...env,
    });
    cleanups.push(() => router.stop());
    return router;
  }

  async function echo(port = 0): Promise<EchoSubgraph> {
    const subgraph = await startEchoSubgraph(TEST_SIGNING_SECRET, port);
    cleanups.push(() => subgraph.stop());
    return subgraph;
  }

  async function fake(start: Promise<FakeReplica>): Promise<FakeReplica> {
    const replica = await start;
    cleanups.push(() => replica.stop());
    return replica;
  }

  afterEach(async () => {
    // Routers first (they were pushed after their replicas), then the replicas.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(() => files.remove());

  it('spreads fetches over the replicas in rotation', async () => {
    const [a, b] = [await echo(), await echo()];
    const router = await routerOver([a, b]);
    for (let i = 0; i < 10; i++) {
      const response = await routerRequest(router.url, QUERY);
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ greeting: 'hello' });
    }
    expect([a.received(), b.received()]).toEqual([5, 5]);
    expect(await inRotation(router)).toBe(2);
  });

  it('takes a stopped replica out of rotation without failing a query, and back once it answers again on its port', async () => {
    const a = await echo();
    let b = await echo();
    const router = await routerOver([a, b]);
    const bPort = Number(new URL(b.url).port);
    await b.stop();

    for (let i = 0; i < 6; i++) {
      const response = await routerRequest(router.url, QUERY);
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ greeting: 'hello' });
    }
    expect(a.received()).toBe(6);
    expect(await inRotation(router)).toBe(1);
    expect(await retries(router, 'refused')).toBeGreaterThanOrEqual(1);
    // Out of rotation, it is no longer tried: the next queries go straight to a.
    const retried = (await retries(router, 'refused')) + (await retries(router, 'transport'));
    for (let i = 0; i < 4; i++) expect((await routerRequest(router.url, QUERY)).errors).toBeUndefined();
    expect((await retries(router, 'refused')) + (await retries(router, 'transport'))).toBe(retried);

    b = await echo(bPort);
    await eventually(async () => expect(await inRotation(router)).toBe(2), { timeoutMs: 5_000 });
    for (let i = 0; i < 4; i++) expect((await routerRequest(router.url, QUERY)).errors).toBeUndefined();
    expect(b.received()).toBe(2);
  });

  it('when every replica is out of rotation, still tries them rather than failing untried', async () => {
    let a = await echo();
    let b = await echo();
    const router = await routerOver([a, b]);
    const ports = [Number(new URL(a.url).port), Number(new URL(b.url).port)];
    await a.stop();
    await b.stop();
    for (let i = 0; i < 3; i++) {
      const down = await routerRequest(router.url, QUERY);
      expect(down.data).toEqual({ greeting: null });
      expect(down.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    expect(await inRotation(router)).toBe(0);

    a = await echo(ports[0]);
    b = await echo(ports[1]);
    // At once, before any probe could have brought them back.
    const up = await routerRequest(router.url, QUERY);
    expect(up.errors).toBeUndefined();
    expect(up.data).toEqual({ greeting: 'hello' });
    expect(await inRotation(router)).toBeGreaterThanOrEqual(1);
  });

  it('retries a query on another replica after the draining answer', async () => {
    const draining = await fake(startDrainingReplica());
    const b = await echo();
    const router = await routerOver([draining, b]);

    const response = await routerRequest(router.url, QUERY);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ greeting: 'hello' });
    expect([draining.received(), b.received()]).toEqual([1, 1]);
    expect(await retries(router, 'draining')).toBe(1);
    expect(await inRotation(router)).toBe(1);
  });

  it('retries a mutation on another replica after the draining answer: it ran nowhere else', async () => {
    const draining = await fake(startDrainingReplica());
    const b = await echo();
    const router = await routerOver([draining, b]);

    const response = await routerRequest(router.url, MUTATION);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ echo: 'once' });
    expect([draining.received(), b.receivedMutations()]).toEqual([1, 1]);
    expect(await retries(router, 'draining')).toBe(1);
  });

  it('does not retry a mutation whose connection broke after it was sent (SERVICE_UNAVAILABLE), but retries a query once', async () => {
    const reset = await fake(startBrokenReplica('reset'));
    const b = await echo();
    const router = await routerOver([reset, b]);

    const mutation = await routerRequest(router.url, MUTATION);
    expect(mutation.status).toBe(200);
    expect(mutation.data).toEqual({ echo: null });
    // The gateway's own error for a subgraph down, never the network error's text.
    expect(mutation.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['The product service is unavailable right now.', 'SERVICE_UNAVAILABLE']]);
    expect(reset.received()).toBe(1);
    expect(b.received()).toBe(0);

    // A reset alone keeps the replica in rotation: the next query goes to b, the one after to the reset replica and then to b.
    for (let i = 0; i < 2; i++) {
      const query = await routerRequest(router.url, QUERY);
      expect(query.errors).toBeUndefined();
      expect(query.data).toEqual({ greeting: 'hello' });
    }
    expect([reset.received(), b.received(), b.receivedMutations()]).toEqual([2, 2, 0]);
    expect(await retries(router, 'transport')).toBe(1);
  });

  it('retries a query after a hung replica’s timeout (ROUTER_SUBGRAPH_TIMEOUT_MS), and takes that replica out', async () => {
    const hung = await fake(startBrokenReplica('hang'));
    const b = await echo();
    const router = await routerOver([hung, b], { ROUTER_SUBGRAPH_TIMEOUT_MS: '400' });

    const started = Date.now();
    const response = await routerRequest(router.url, QUERY);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ greeting: 'hello' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect([hung.received(), b.received()]).toEqual([1, 1]);
    expect(await retries(router, 'timeout')).toBe(1);
    expect(await inRotation(router)).toBe(1);

    const next = Date.now();
    expect((await routerRequest(router.url, QUERY)).errors).toBeUndefined();
    expect(Date.now() - next).toBeLessThan(390);
  });
});

describe('router: no URL configured for a subgraph', () => {
  const files = tempDir();
  let subgraph: EchoSubgraph;
  let router: RouterApp;

  beforeAll(async () => {
    subgraph = await startEchoSubgraph();
    // ROUTER_SUBGRAPH_PRODUCT_URL is not set: the supergraph's URL for product is used.
    router = await startRouter({ ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL, subgraph.url)), AUTH_JWKS_URL: NO_JWKS });
  });

  afterAll(async () => {
    await router?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('sends the subgraph’s fetches to the URL the supergraph gives it', async () => {
    const response = await routerRequest(router.url, QUERY);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ greeting: 'hello' });
    expect(subgraph.received()).toBe(1);
    const ready = (await (await fetch(new URL('/health/ready', router.url))).json()) as { subgraphs: Record<string, string> };
    expect(ready.subgraphs).toEqual({ product: 'ok' });
  });
});
