import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAINING_HEADER } from '@shop/runtime';
import { eventually, freePort } from '@shop/testing';
import { bufsizeFor, checkHaproxyConfig, findHaproxy, haproxyArgs, haproxyConfig, HAPROXY_SETTINGS } from '../src/start/haproxy';

const haproxy = findHaproxy(process.env);
let dir: string;

beforeAll(() => {
  // .ci/run installs it; on a workstation: sudo apt-get install haproxy
  if (!haproxy) throw new Error('haproxy is not installed (sudo apt-get install haproxy); npm start --replicas and these tests need it');
  dir = mkdtempSync(join(tmpdir(), 'haproxy-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TWO_ROUTERS = {
  bind: { host: '127.0.0.1', port: 4000 },
  routers: [
    { name: 'router-0', host: '127.0.0.1', port: 4010 },
    { name: 'router-1', host: '127.0.0.1', port: 4011 },
  ],
  maxBodyBytes: 100_000,
};

/** The setting lines of one section (`global`, `defaults`, `frontend shop`, `backend routers`), comments left out. */
function section(config: string, name: string): string[] {
  const lines = config.split('\n');
  const start = lines.indexOf(name);
  expect(start, `section ${name}`).toBeGreaterThanOrEqual(0);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line !== '' && !line.startsWith(' ')) break;
    if (line.trim() !== '' && !line.trim().startsWith('#')) body.push(line.trim());
  }
  return body;
}

describe('the HAProxy configuration (npm start --replicas)', () => {
  const config = haproxyConfig(TWO_ROUTERS);

  it('checks GET /health/ready on every router every 500 ms, down after 2 failures, up after 2, with a 2 s timeout', () => {
    const backend = section(config, 'backend routers');
    expect(backend).toContain('option httpchk');
    expect(backend).toContain('http-check send meth GET uri /health/ready');
    expect(backend).toContain('http-check expect status 200');
    expect(backend).toContain('default-server check inter 500ms fall 2 rise 2');
    expect(section(config, 'defaults')).toContain('timeout check 2s');
    expect(HAPROXY_SETTINGS).toMatchObject({ checkIntervalMs: 500, fall: 2, rise: 2, checkTimeoutMs: 2_000 });
  });

  it('retries on another router only a failed connection or a 503, with the whole request buffered', () => {
    const backend = section(config, 'backend routers');
    expect(backend).toContain('retries 2');
    expect(backend).toContain('retry-on conn-failure 503');
    expect(backend).toContain('option redispatch 1');
    expect(backend).toContain('option http-buffer-request');
    expect(backend.filter((line) => line.startsWith('retry-on'))).toHaveLength(1);
    // The routers' 100 kB bodies and their headers fit in one buffer.
    expect(section(config, 'global')).toContain('tune.bufsize 131072');
  });

  it('sizes the buffer for a larger ROUTER_MAX_BODY_BYTES', () => {
    expect(bufsizeFor(100_000)).toBe(131_072);
    expect(bufsizeFor(1_000)).toBe(131_072);
    expect(bufsizeFor(200_000)).toBe(262_144);
    expect(haproxyConfig({ ...TWO_ROUTERS, maxBodyBytes: 1_000_000 })).toContain('tune.bufsize 1048576');
  });

  it("tells clients to drop an idle connection well before HAProxy closes it, not the routers' 65 s", () => {
    expect(section(config, 'defaults')).toContain('timeout http-keep-alive 10s');
    expect(section(config, 'frontend shop')).toContain('http-response set-header Keep-Alive timeout=5');
  });

  it('tells the routers the client address, balances round robin, reuses connections safely', () => {
    expect(section(config, 'defaults')).toContain('option forwardfor');
    const backend = section(config, 'backend routers');
    expect(backend).toContain('balance roundrobin');
    expect(backend).toContain('http-reuse safe');
  });

  it('has a 1 h tunnel timeout for WebSocket and streams, and connect, client and server timeouts (server 60 s)', () => {
    const defaults = section(config, 'defaults');
    expect(defaults).toContain('mode http');
    expect(defaults).toContain('timeout tunnel 1h');
    expect(defaults).toContain('timeout connect 2s');
    expect(defaults).toContain('timeout client 60s');
    expect(defaults).toContain('timeout server 60s');
    expect(defaults).toContain('timeout http-request 10s');
    expect(defaults).toContain('timeout http-keep-alive 10s');
  });

  it('listens on the front door and lists every router by its name', () => {
    expect(section(config, 'frontend shop').filter((line) => !line.startsWith('http-response'))).toEqual(['bind 127.0.0.1:4000', 'default_backend routers']);
    expect(section(config, 'backend routers').filter((line) => line.startsWith('server '))).toEqual([
      'server router-0 127.0.0.1:4010',
      'server router-1 127.0.0.1:4011',
    ]);
    const v6 = haproxyConfig({ ...TWO_ROUTERS, bind: { host: '::', port: 4000 }, routers: [{ name: 'router-0', host: '::1', port: 4010 }] });
    expect(v6).toContain('bind [::]:4000');
    expect(v6).toContain('server router-0 [::1]:4010');
    expect(haproxyConfig(TWO_ROUTERS)).toBe(config);
  });

  it('is accepted by haproxy -c -f', async () => {
    for (const [name, options] of [
      ['ipv4.cfg', TWO_ROUTERS],
      ['ipv6.cfg', { ...TWO_ROUTERS, bind: { host: '::', port: 4000 }, routers: [{ name: 'router-0', host: '::1', port: 4010 }] }],
      ['large.cfg', { ...TWO_ROUTERS, maxBodyBytes: 1_000_000 }],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, haproxyConfig(options));
      const check = await checkHaproxyConfig(haproxy!, file);
      expect(check.output).toContain('Configuration file is valid');
      expect(check.output).not.toMatch(/WARNING|ALERT/);
      expect(check.ok).toBe(true);
    }
  });

  it('finds haproxy, or HAPROXY_BIN, or says it is missing', () => {
    expect(findHaproxy({ PATH: '' })).toBe(haproxy);
    expect(findHaproxy({ PATH: process.env.PATH, HAPROXY_BIN: haproxy })).toBe(haproxy);
    expect(findHaproxy({ PATH: process.env.PATH, HAPROXY_BIN: join(dir, 'no-haproxy-here') })).toBeUndefined();
    expect(findHaproxy({ PATH: '/nowhere', HAPROXY_BIN: 'haproxy' })).toBeUndefined();
  });
});

interface FakeRouter {
  name: string;
  server: Server;
  port: number;
  /** What /graphql answers: normally, draining (503 + x-shop-draining) or not ready (/health/ready 503). */
  mode: 'ok' | 'draining' | 'unready';
  requests: { body: string; forwardedFor: string | undefined }[];
}

async function fakeRouter(name: string): Promise<FakeRouter> {
  const router = { name, mode: 'ok', requests: [] } as unknown as FakeRouter;
  router.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/health/ready') {
        res.writeHead(router.mode === 'ok' ? 200 : 503).end();
        return;
      }
      router.requests.push({ body: Buffer.concat(chunks).toString(), forwardedFor: req.headers['x-forwarded-for'] as string | undefined });
      if (router.mode === 'draining') {
        res.writeHead(503, { [DRAINING_HEADER]: '1', connection: 'close', 'content-type': 'application/json' }).end('{"errors":[]}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ router: name }));
    });
  });
  await new Promise<void>((resolve) => router.server.listen(0, '127.0.0.1', resolve));
  router.port = (router.server.address() as AddressInfo).port;
  return router;
}

describe('HAProxy with the generated configuration, in front of two routers', () => {
  let routers: FakeRouter[];
  let lb: ChildProcess;
  let url: string;
  let log = '';
  let closedPort: number;

  beforeAll(async () => {
    routers = [await fakeRouter('router-0'), await fakeRouter('router-1')];
    closedPort = await freePort();
    const port = await freePort();
    const file = join(dir, 'live.cfg');
    writeFileSync(
      file,
      haproxyConfig({
        bind: { host: '127.0.0.1', port },
        routers: [...routers.map((r) => ({ name: r.name, host: '127.0.0.1', port: r.port })), { name: 'router-2', host: '127.0.0.1', port: closedPort }],
        maxBodyBytes: 100_000,
      }),
    );
    lb = spawn(haproxy!, haproxyArgs(file), { stdio: ['ignore', 'pipe', 'pipe'] });
    lb.stdout!.on('data', (d) => (log += d));
    lb.stderr!.on('data', (d) => (log += d));
    url = `http://127.0.0.1:${port}/graphql`;
    // router-2 never listens: its first failed check takes it out.
    await eventually(async () => expect(log).toMatch(/router-2 is DOWN/), { timeoutMs: 10_000, intervalMs: 50 });
  });

  afterAll(async () => {
    if (lb && lb.exitCode === null) {
      lb.kill('SIGTERM');
      await new Promise((resolve) => lb.once('exit', resolve));
    }
    for (const router of routers ?? []) router.server.close();
  });

  const post = async (body: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: response.status, body: (await response.json()) as { router?: string } };
  };

  it('balances round robin over the healthy routers and tells them the client address', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`{"n":${i}}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.router))).toEqual(new Set(['router-0', 'router-1']));
    expect(routers[0]!.requests.at(-1)!.forwardedFor).toBe('127.0.0.1');
  });

  it("retries a draining router's 503 on the other router, with the request body", async () => {
    routers[0]!.mode = 'draining';
    try {
      const body = JSON.stringify({ query: 'mutation { placeOrder }', padding: 'x'.repeat(90_000) });
      for (let i = 0; i < 4; i++) {
        const before = routers[0]!.requests.length;
        const answer = await post(body);
        expect(answer).toEqual({ status: 200, body: { router: 'router-1' } });
        expect(routers[1]!.requests.at(-1)!.body).toBe(body);
        // Some of these went to router-0 first and were retried: it answered 503 and router-1 ran them.
        if (routers[0]!.requests.length > before) expect(routers[0]!.requests.at(-1)!.body).toBe(body);
      }
      expect(routers[0]!.requests.filter((r) => r.body.includes('placeOrder')).length).toBeGreaterThan(0);
    } finally {
      routers[0]!.mode = 'ok';
    }
  });

  it('takes a router whose /health/ready answers 503 out of the rotation, and puts it back when it is ready', async () => {
    routers[1]!.mode = 'unready';
    await eventually(async () => expect(log).toMatch(/router-1 is DOWN/), { timeoutMs: 10_000, intervalMs: 50 });
    const before = routers[1]!.requests.length;
    const answers = await Promise.all(Array.from({ length: 4 }, () => post('{}')));
    expect(answers.map((a) => a.body.router)).toEqual(['router-0', 'router-0', 'router-0', 'router-0']);
    expect(routers[1]!.requests.length).toBe(before);
    routers[1]!.mode = 'ok';
    await eventually(async () => expect(log).toMatch(/router-1 is UP/), { timeoutMs: 10_000, intervalMs: 50 });
  });

  it('stops on SIGTERM', async () => {
    lb.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => lb.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
  });
});
