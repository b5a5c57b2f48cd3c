import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, routerRequest } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { composeSupergraph, echoSdlWith, startEchoSubgraph, startRouter, tempDir } from './fixtures';

async function readiness(router: RouterApp): Promise<{ status: string; supergraph: { loadedAt: string | null; reloadError: string | null } }> {
  return (await fetch(new URL('/health/ready', router.url))).json() as any;
}

describe('router: supergraph file', () => {
  const files = tempDir();
  let path: string;
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  let router: RouterApp;

  beforeAll(async () => {
    subgraph = await startEchoSubgraph();
    path = files.file('supergraph.graphql', composeSupergraph(echoSdlWith(['whoami'])));
    router = await startRouter({ ROUTER_SUPERGRAPH_PATH: path, ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url, AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
  });

  afterAll(async () => {
    await router?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('serves only what the supergraph file holds', async () => {
    const response = await routerRequest(router.url, '{ greeting }');
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('keeps serving the previous schema when the file is broken, and says why on /health/ready', async () => {
    writeFileSync(path, 'this is not a supergraph {');
    const ready = await eventually(async () => {
      const body = await readiness(router);
      expect(body.supergraph.reloadError).toBeTruthy();
      return body;
    });
    expect(ready.status).toBe('ok');
    const response = await routerRequest(router.url, '{ whoami { userId } }');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ whoami: null });
  });

  it('picks up an edited file without a restart', async () => {
    writeFileSync(path, composeSupergraph(echoSdlWith(['whoami', 'greeting'])));
    await eventually(async () => {
      const response = await routerRequest(router.url, '{ greeting }');
      expect(response.data).toEqual({ greeting: 'hello' });
    });
    expect((await readiness(router)).supergraph.reloadError).toBeNull();
  });

  it('picks up a file renamed into place, as an atomic deploy does', async () => {
    const staged = join(files.dir, 'supergraph.graphql.next');
    writeFileSync(staged, composeSupergraph(echoSdlWith(['whoami', 'greeting', 'farewell'])));
    renameSync(staged, path);
    await eventually(async () => {
      const response = await routerRequest(router.url, '{ greeting farewell }');
      expect(response.data).toEqual({ greeting: 'hello', farewell: 'goodbye' });
    });
  });
});

describe('router: start-up', () => {
  it('refuses to start without a readable supergraph file, naming it', async () => {
    const files = tempDir();
    const missing = join(files.dir, 'missing.graphql');
    await expect(startRouter({ ROUTER_SUPERGRAPH_PATH: missing })).rejects.toThrow(missing);
    const broken = files.file('broken.graphql', 'type Query {');
    await expect(startRouter({ ROUTER_SUPERGRAPH_PATH: broken })).rejects.toThrow();
    files.remove();
  });
});
