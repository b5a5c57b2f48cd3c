import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually, routerRequest, startHungServer, TEST_SIGNING_SECRET } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { startEchoSubgraph, startRouter, tempDir, type EchoSubgraph } from './fixtures';

const NO_JWKS = 'http://127.0.0.1:9/jwks.json';
/** Touches both subgraphs: product (greeting) and user (farewell). */
const BOTH = '{ greeting farewell }';

/** Two subgraphs, both served by the echo fixture: product has greeting and slow, user has farewell. */
function composeProductAndUser(): string {
  const result = composeServices([
    { name: 'product', typeDefs: parse('type Query { greeting: String slow(ms: Int!): String }'), url: 'http://127.0.0.1:9/graphql' },
    { name: 'user', typeDefs: parse('type Query { farewell: String }'), url: 'http://127.0.0.1:9/graphql' },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** A sample of the router's /metrics with these labels (besides `service`), or undefined when it has none. */
async function metric(router: RouterApp, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', router.url))).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const breakerState = (router: RouterApp, replica: { url: string }) =>
  metric(router, 'router_subgraph_breaker_state', { subgraph: 'product', replica: replica.url });

/** The request's answer and how long it took, ms. */
async function timed(router: RouterApp, query: string) {
  const started = performance.now();
  const response = await routerRequest(router.url, query);
  return { response, ms: performance.now() - started };
}

function codes(response: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}

describe('router: subgraph timeouts and circuit breakers', () => {
  const files = tempDir();
  const supergraph = files.file('supergraph.graphql', composeProductAndUser());
  const cleanups: Array<() => Promise<void>> = [];

  async function routerOver(product: Array<{ url: string }>, user: { url: string }, env: Record<string, string>): Promise<RouterApp> {
    const router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: supergraph,
      ROUTER_SUBGRAPH_PRODUCT_URL: product.map((replica) => replica.url).join(','),
      ROUTER_SUBGRAPH_USER_URL: user.url,
      AUTH_JWKS_URL: NO_JWKS,
      ...env,
    });
    cleanups.push(() => router.stop());
    return router;
  }

  async function echo(audience: 'product' | 'user', port = 0): Promise<EchoSubgraph> {
    const subgraph = await startEchoSubgraph(TEST_SIGNING_SECRET, port, audience);
    cleanups.push(() => subgraph.stop());
    return subgraph;
  }

  /** A hung subgraph replica: its /graphql URL, the requests it swallowed, and stop. */
  async function hung(port = 0) {
    const server = await startHungServer({ port });
    cleanups.push(() => server.close());
    return { url: `${server.url}/graphql`, port: server.port, received: server.received, stop: () => server.close() };
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(() => files.remove());

  it('opens each replica’s breaker after N timeouts; then every replica open answers SERVICE_UNAVAILABLE for that part at once, with the rest of the data', async () => {
    const [a, b] = [await hung(), await hung()];
    const user = await echo('user');
    const router = await routerOver([a, b], user, {
      ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: '500',
      ROUTER_BREAKER_FAILURES: '2',
      ROUTER_BREAKER_OPEN_SECONDS: '60',
    });

    // Each query waits out the timeout on one replica, then on the other (the retry).
    for (let i = 0; i < 2; i++) {
      const { response, ms } = await timed(router, BOTH);
      expect(response.data).toEqual({ greeting: null, farewell: 'goodbye' });
      expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(ms).toBeGreaterThanOrEqual(900);
    }
    expect([a.received(), b.received()]).toEqual([2, 2]);
    expect([await breakerState(router, a), await breakerState(router, b)]).toEqual([2, 2]);

    // Both open: nothing is sent, the product part fails at once, the user part is answered.
    for (let i = 0; i < 3; i++) {
      const { response, ms } = await timed(router, BOTH);
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ greeting: null, farewell: 'goodbye' });
      expect(response.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['The product service is unavailable right now.', 'SERVICE_UNAVAILABLE']]);
      // Well under the subgraph timeout (the target: under 1 s).
      expect(ms).toBeLessThan(400);
    }
    expect([a.received(), b.received()]).toEqual([2, 2]);
    // A query not touching product is untouched.
    expect((await routerRequest(router.url, '{ farewell }')).errors).toBeUndefined();
  });

  it('half-opens after ROUTER_BREAKER_OPEN_SECONDS: a probe fetch that fails opens it again, one that is answered closes it (full data again)', async () => {
    const stuck = await hung();
    const user = await echo('user');
    const router = await routerOver([stuck], user, {
      ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: '500',
      ROUTER_BREAKER_FAILURES: '1',
      ROUTER_BREAKER_OPEN_SECONDS: '1',
    });

    const first = await timed(router, BOTH);
    expect(first.response.data).toEqual({ greeting: null, farewell: 'goodbye' });
    expect(first.ms).toBeGreaterThanOrEqual(450);
    expect(await breakerState(router, stuck)).toBe(2);
    const fast = await timed(router, BOTH);
    expect(codes(fast.response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(fast.ms).toBeLessThan(400);
    expect(stuck.received()).toBe(1);

    // After a second, one probe fetch goes; still hung, it times out and the breaker opens again.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await breakerState(router, stuck)).toBe(1);
    const probe = await timed(router, BOTH);
    expect(codes(probe.response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(probe.ms).toBeGreaterThanOrEqual(450);
    expect(stuck.received()).toBe(2);
    expect(await breakerState(router, stuck)).toBe(2);
    expect((await timed(router, BOTH)).ms).toBeLessThan(400);

    // The subgraph answers again on its port: the next probe closes the breaker, and full data comes back.
    const port = stuck.port;
    await stuck.stop();
    const product = await echo('product', port);
    await eventually(
      async () => {
        const response = await routerRequest(router.url, BOTH);
        expect(response.errors).toBeUndefined();
        expect(response.data).toEqual({ greeting: 'hello', farewell: 'goodbye' });
      },
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    expect(await breakerState(router, stuck)).toBe(0);
    expect(await metric(router, 'router_subgraph_replicas_in_rotation', { subgraph: 'product' })).toBe(1);
    for (let i = 0; i < 3; i++) expect((await routerRequest(router.url, BOTH)).data).toEqual({ greeting: 'hello', farewell: 'goodbye' });
    expect(product.received()).toBeGreaterThanOrEqual(4);
  });

  it('ROUTER_REQUEST_TIMEOUT_MS cuts a slow request: TIMEOUT for the part still out, the rest of the data; the replica is not blamed', async () => {
    const product = await echo('product');
    const user = await echo('user');
    const router = await routerOver([product], user, { ROUTER_REQUEST_TIMEOUT_MS: '600', ROUTER_BREAKER_FAILURES: '1' });

    const { response, ms } = await timed(router, '{ slow(ms: 5000) farewell }');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ slow: null, farewell: 'goodbye' });
    expect(response.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ["The product service did not answer before the request's deadline.", 'TIMEOUT'],
    ]);
    expect(ms).toBeGreaterThanOrEqual(550);
    expect(ms).toBeLessThan(3_000); // well before the subgraph's 5 s answer and its 5 s timeout

    // The deadline was the request's, not the replica's failure: its breaker stays closed, it stays in rotation.
    expect(await breakerState(router, product)).toBe(0);
    expect(await metric(router, 'router_subgraph_replicas_in_rotation', { subgraph: 'product' })).toBe(1);
    const next = await routerRequest(router.url, '{ greeting slow(ms: 10) farewell }');
    expect(next.errors).toBeUndefined();
    expect(next.data).toEqual({ greeting: 'hello', slow: 'done', farewell: 'goodbye' });
  });

  it('uses ROUTER_SUBGRAPH_<NAME>_TIMEOUT_MS for that subgraph instead of ROUTER_SUBGRAPH_TIMEOUT_MS', async () => {
    // Longer than the default: the slow answer is waited for.
    const product = await echo('product');
    const user = await echo('user');
    const patient = await routerOver([product], user, { ROUTER_SUBGRAPH_TIMEOUT_MS: '300', ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: '5000' });
    const waited = await routerRequest(patient.url, '{ slow(ms: 800) farewell }');
    expect(waited.errors).toBeUndefined();
    expect(waited.data).toEqual({ slow: 'done', farewell: 'goodbye' });

    // Shorter than the default: a hung product gives up at its own timeout.
    const stuck = await hung();
    const hasty = await routerOver([stuck], user, { ROUTER_SUBGRAPH_TIMEOUT_MS: '20000', ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: '400' });
    const { response, ms } = await timed(hasty, BOTH);
    expect(response.data).toEqual({ greeting: null, farewell: 'goodbye' });
    expect(codes(response)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(5_000);
  });
});
