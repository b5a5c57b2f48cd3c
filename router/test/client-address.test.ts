import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerRequest } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { capturedLog, composeSupergraph, ECHO_SDL, startEchoSubgraph, startRouter, tempDir } from './fixtures';

describe('router: the client address behind proxies', () => {
  const files = tempDir();
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  let behindProxy: RouterApp;
  let direct: RouterApp;
  const behindProxyLog = capturedLog();
  const directLog = capturedLog();

  beforeAll(async () => {
    subgraph = await startEchoSubgraph();
    const base = {
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    };
    // The test calls from 127.0.0.1: a trusted proxy to the first router, a client to the second.
    [behindProxy, direct] = await Promise.all([
      startRouter({ ...base, ROUTER_TRUSTED_PROXIES: '127.0.0.1/8,::1' }, { log: behindProxyLog.log }),
      startRouter(base, { log: directLog.log }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([behindProxy?.stop(), direct?.stop()]);
    await subgraph?.stop();
    files.remove();
  });

  /** The client address on the request log line of the request with this operation name. */
  async function loggedClient(router: RouterApp, lines: Array<Record<string, any>>, operation: string, forwardedFor?: string) {
    const res = await routerRequest(router.url, `query ${operation} { greeting }`, {}, undefined, forwardedFor ? { 'x-forwarded-for': forwardedFor } : {});
    expect(res.data).toEqual({ greeting: 'hello' });
    const line = lines.find((l) => l.msg === 'graphql request' && l.operation === operation);
    return line?.clientAddress;
  }

  it('takes X-Forwarded-For from a trusted proxy, right to left past trusted hops', async () => {
    expect(await loggedClient(behindProxy, behindProxyLog.lines, 'Forwarded', '198.51.100.1, 203.0.113.9, 127.0.0.2')).toBe('203.0.113.9');
    expect(await loggedClient(behindProxy, behindProxyLog.lines, 'NotForwarded')).toBe('127.0.0.1');
  });

  it('puts the client address on the log line of a request refused at the front door', async () => {
    const guesses = 'mutation { a: logIn(email: "a@example.com", password: "1") b: logIn(email: "a@example.com", password: "2") }';
    const res = await routerRequest(behindProxy.url, guesses, {}, undefined, { 'x-forwarded-for': '198.51.100.77' });
    expect(res.status).toBe(400);
    const line = behindProxyLog.lines.find((l) => l.msg === 'request refused at the front door');
    expect(line).toMatchObject({ code: 'TOO_MANY_AUTH_FIELDS', clientAddress: '198.51.100.77' });
  });

  it('ignores X-Forwarded-For from anyone else: the client is the socket address', async () => {
    expect(await loggedClient(direct, directLog.lines, 'Spoofed', '203.0.113.9')).toBe('127.0.0.1');
  });
});
