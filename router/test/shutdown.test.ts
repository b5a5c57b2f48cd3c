import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAINING_HEADER } from '@shop/runtime';
import { createTestRun, eventually, freePort, routerRequest, startHungServer, startProcess, TEST_SIGNING_SECRET } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { composeSupergraph, ECHO_SDL, startEchoSubgraph, startRouter, tempDir } from './fixtures';

/** The router's health and graceful shutdown, as a load balancer and clients see them. */
const run = createTestRun();
afterAll(() => run.cleanup());

const origin = (router: { url: string }) => new URL(router.url).origin;
const readiness = async (router: { url: string }) => {
  const started = Date.now();
  const response = await fetch(`${origin(router)}/health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, any>, ms: Date.now() - started };
};

describe('router readiness', () => {
  const files = tempDir();
  let hung: Awaited<ReturnType<typeof startHungServer>>;
  let router: RouterApp;

  beforeAll(async () => {
    // A subgraph that takes connections and never answers, and no Redis at all.
    hung = await startHungServer();
    router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL, `${hung.url}/graphql`)),
      ROUTER_SUBGRAPH_PRODUCT_URL: `${hung.url}/graphql`,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
  });

  afterAll(async () => {
    await router?.stop();
    await hung?.close();
    files.remove();
  });

  it('stays ready, and answers well within 2 s, with a subgraph hung and Redis unreachable; the body says which are down', async () => {
    for (let i = 0; i < 2; i += 1) {
      const { status, body, ms } = await readiness(router);
      expect(status).toBe(200);
      expect(ms).toBeLessThan(2_000);
      expect(body).toMatchObject({ status: 'ok', checks: { supergraph: 'ok' } });
      expect(body.subgraphs.product).toMatch(/^down/);
      expect(body.redis).toMatch(/^down/);
    }
  });
});

describe('router graceful shutdown', () => {
  const files = tempDir();
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;

  beforeAll(async () => {
    subgraph = await startEchoSubgraph();
  });

  afterAll(async () => {
    await subgraph?.stop();
    files.remove();
  });

  it('lets the request in flight finish, answers new ones with the draining answer and readiness with 503, then refuses connections', async () => {
    const router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL, subgraph.url)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      SHUTDOWN_DRAIN_SECONDS: '1',
    });
    let stopping: Promise<void> | undefined;
    try {
      expect((await readiness(router)).status).toBe(200);
      const before = subgraph.received();
      const inFlight = routerRequest(router.url, '{ slow(ms: 1500) }');
      await eventually(async () => expect(subgraph.received()).toBe(before + 1));

      stopping = router.stop();
      const stopStarted = Date.now();
      const ready = await readiness(router);
      expect(ready.status).toBe(503);
      expect((await fetch(`${origin(router)}/health/live`)).status).toBe(200);
      expect((await fetch(`${origin(router)}/metrics`)).status).toBe(200);
      const refused = await routerRequest(router.url, '{ greeting }');
      expect(refused.status).toBe(503);
      expect(refused.headers.get(DRAINING_HEADER)).toBe('1');
      expect(refused.headers.get('connection')).toBe('close');
      expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(subgraph.received()).toBe(before + 1);
      expect(Date.now() - stopStarted).toBeLessThan(1_000);

      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.data).toEqual({ slow: 'done' });
      expect(answered.headers.get('connection')).toBe('close');

      await stopping;
      const error = await fetch(`${origin(router)}/health/live`).then(
        () => null,
        (e: Error & { cause?: { code?: string } }) => e.cause?.code,
      );
      expect(error).toBe('ECONNREFUSED');
    } finally {
      await (stopping ?? router.stop());
    }
  });

  it('a router process drains on SIGTERM and exits 0 within the drain plus 10 s, saying so in its log', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = await startProcess(
      join(__dirname, '../dist/index.js'),
      {
        // development, not test: Apollo Server installs its own SIGTERM handler outside tests, and it must not cut the drain short.
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        PORT: String(port),
        SHUTDOWN_DRAIN_SECONDS: '1',
        ROUTER_SIGNING_SECRETS: TEST_SIGNING_SECRET,
        ROUTER_SUPERGRAPH_PATH: files.file('process-supergraph.graphql', composeSupergraph(ECHO_SDL, subgraph.url)),
        ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
        REDIS_KEY_PREFIX: run.redisPrefix,
      },
      `${base}/health/live`,
    );
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      await eventually(async () => expect((await fetch(`${base}/health/ready`)).status).toBe(503), { timeoutMs: 900, intervalMs: 20 });
      const refused = await routerRequest(`${base}/graphql`, '{ greeting }');
      expect(refused.status).toBe(503);
      expect(refused.headers.get(DRAINING_HEADER)).toBe('1');
      expect(await exited).toEqual({ code: 0, signal: null });
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(1_000);
      expect(took).toBeLessThan(11_000);
      expect(output).toContain('draining');
      expect(output).toContain('drained');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
