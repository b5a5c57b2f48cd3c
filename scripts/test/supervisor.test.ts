import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROUTER_NODE_FLAGS } from '@shop/router';
import { eventually, freePort } from '@shop/testing';
import { REPO_ROOT } from '../src/paths';
import {
  restartDelay,
  shutdownBudgetMs,
  Supervisor,
  type Exit,
  type RestartPolicy,
  type RunningService,
  type SupervisorOptions,
} from '../src/start/supervisor';

let dir: string;

/**
 * A tiny service: answers every HTTP request with 200 (so it is ready once it listens), exits
 * with EXIT_CODE after the lifetime LIVES gives its run (runs are counted in a file; -1: runs
 * until told), and exits 0 on SIGTERM, as a drained process does.
 */
const SERVICE = `
const fs = require('node:fs');
const http = require('node:http');
const counter = process.env.COUNTER;
const run = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(run + 1));
const lives = process.env.LIVES.split(',').map(Number);
const life = lives[Math.min(run, lives.length - 1)];
const server = http.createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('run ' + run + ' listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
if (life >= 0) setTimeout(() => process.exit(Number(process.env.EXIT_CODE || 0)), life);
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
  writeFileSync(join(dir, 'service.js'), SERVICE);
  writeFileSync(join(dir, 'broken.js'), 'console.error("cannot start"); process.exit(1);\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 400, resetAfterMs: 60_000 };

interface Harness {
  supervisor: Supervisor;
  output: () => string;
  fatal: { name: string; exit: Exit; reason: string }[];
}

let running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stopAll()));
  running = [];
});

function harness(options: Partial<SupervisorOptions> = {}): Harness {
  const lines: string[] = [];
  const fatal: Harness['fatal'] = [];
  const supervisor = new Supervisor({
    cwd: dir,
    write: (text) => lines.push(text),
    pretty: false,
    restart: FAST,
    pollIntervalMs: 20,
    stopTimeoutMs: 5_000,
    onFatalExit: (service, exit, reason) => fatal.push({ name: service.spec.name, exit, reason }),
    ...options,
  });
  running.push(supervisor);
  return { supervisor, output: () => lines.join(''), fatal };
}

let serial = 0;
async function service(supervisor: Supervisor, lives: string, extra: NodeJS.ProcessEnv = {}): Promise<{ service: RunningService; runs: () => number }> {
  const port = await freePort();
  const counter = join(dir, `runs-${++serial}`);
  const started = supervisor.spawn({
    name: `svc-${serial}`,
    script: join(dir, 'service.js'),
    env: { ...process.env, PORT: String(port), LIVES: lives, COUNTER: counter, ...extra },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
  });
  return { service: started, runs: () => (existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0) };
}

const until = (check: () => void, timeoutMs = 20_000) => eventually(async () => check(), { timeoutMs, intervalMs: 20 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the supervisor (npm start, the bench)', () => {
  it('starts a service with its node flags before the script', async () => {
    const { supervisor, output } = harness({ restart: undefined });
    const script = join(dir, 'probe.js');
    writeFileSync(script, 'console.log("flags " + JSON.stringify(process.execArgv));\n');
    const probe = supervisor.spawn({ name: 'probe', script, nodeArgs: ROUTER_NODE_FLAGS, env: process.env, readyUrl: 'http://127.0.0.1:9/health/ready' });
    expect(await probe.exited).toEqual({ code: 0, signal: null });
    await sleep(50); // the last output lines
    expect(output()).toContain(`flags ${JSON.stringify(ROUTER_NODE_FLAGS)}`);
  });

  it('runs the router with the same node flags in the compose file', () => {
    const compose = readFileSync(join(REPO_ROOT, 'docker/docker-compose.yml'), 'utf8');
    const router = compose.slice(compose.indexOf('\n  router:'));
    expect(/NODE_OPTIONS: (.+)/.exec(router)?.[1]?.trim()).toBe(ROUTER_NODE_FLAGS.join(' '));
  });

  it('restarts a process that exits 0 after it was ready, after the backoff, and says why', async () => {
    const { supervisor, output, fatal } = harness();
    const { service: svc, runs } = await service(supervisor, '400,-1');
    await supervisor.waitUntilReady(svc);
    const first = svc.child.pid;
    const firstStart = svc.startedAt;
    await until(() => expect(svc.restarts).toHaveLength(1));
    await until(() => expect(svc.ready && svc.child.pid !== first).toBe(true));
    const [restart] = svc.restarts;
    expect(restart!.exit).toEqual({ code: 0, signal: null });
    expect(restart!.delayMs).toBe(FAST.initialDelayMs);
    expect(svc.startedAt - (firstStart + restart!.uptimeMs)).toBeGreaterThanOrEqual(FAST.initialDelayMs - 5);
    expect(runs()).toBe(2);
    expect(fatal).toEqual([]);
    expect(output()).toMatch(
      new RegExp(`${svc.spec.name} exited \\(exit code 0, pid ${first}, after [0-9.]+ s\\) after it was ready; restarting it in 0\\.1 s`),
    );
    await until(() => expect(output()).toContain(`${svc.spec.name} is ready again (pid ${svc.child.pid})`));
  });

  it('restarts a process stopped from outside, by SIGTERM (a rolling restart) or SIGKILL, doubling the backoff', async () => {
    const { supervisor, fatal } = harness();
    const { service: svc, runs } = await service(supervisor, '-1');
    await supervisor.waitUntilReady(svc);
    process.kill(svc.child.pid!, 'SIGTERM');
    await until(() => expect(svc.restarts).toHaveLength(1));
    await until(() => expect(svc.ready).toBe(true));
    process.kill(svc.child.pid!, 'SIGKILL');
    await until(() => expect(svc.restarts).toHaveLength(2));
    await until(() => expect(svc.ready).toBe(true));
    expect(svc.restarts.map((r) => [r.exit, r.delayMs])).toEqual([
      [{ code: 0, signal: null }, 100],
      [{ code: null, signal: 'SIGKILL' }, 200],
    ]);
    expect(runs()).toBe(3);
    expect(fatal).toEqual([]);

    await supervisor.stopAll();
    expect(svc.exit).toEqual({ code: 0, signal: null });
    await sleep(300);
    expect(runs()).toBe(3);
  });

  it('does not restart a process that dies before it was ready: start-up fails and the others are stopped', async () => {
    const { supervisor, fatal } = harness({
      onFatalExit: (service, exit, reason) => {
        fatal.push({ name: service.spec.name, exit, reason });
        void supervisor.stopAll();
      },
    });
    const { service: steady } = await service(supervisor, '-1');
    await supervisor.waitUntilReady(steady);
    const broken = supervisor.spawn({ name: 'broken', script: join(dir, 'broken.js'), env: process.env, readyUrl: 'http://127.0.0.1:9/health/ready' });
    await expect(supervisor.waitUntilReady(broken)).rejects.toThrow(/broken exited \(exit code 1\) before it was ready|stopping/);
    await until(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]!.name).toBe('broken');
    expect(fatal[0]!.reason).toMatch(/^broken exited \(exit code 1, pid \d+, after [0-9.]+ s\) before it was ready$/);
    expect(await steady.exited).toEqual({ code: 0, signal: null });
    expect(supervisor.isStopping).toBe(true);
    await sleep(300);
    expect(broken.restarts).toEqual([]);
    expect(steady.restarts).toEqual([]);
  });

  it('does not restart a process that exits 78 (bad configuration), even after it was ready', async () => {
    const { supervisor, fatal } = harness();
    const { service: svc, runs } = await service(supervisor, '400', { EXIT_CODE: '78' });
    await supervisor.waitUntilReady(svc);
    await until(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]!.exit).toEqual({ code: 78, signal: null });
    expect(fatal[0]!.reason).toMatch(/exited with code 78 \(bad configuration; .*\); not restarting it$/);
    await sleep(FAST.initialDelayMs * 3);
    expect(svc.restarts).toEqual([]);
    expect(runs()).toBe(1);
  });

  it('doubles the backoff up to its cap, and starts over after a process has run long enough', async () => {
    const policy: RestartPolicy = { initialDelayMs: 50, maxDelayMs: 200, resetAfterMs: 3_000 };
    const { supervisor, fatal } = harness({ restart: policy });
    // Short runs (exiting before they are ready again is still a restart), one of 3.5 s, a short one, then one that stays.
    const { service: svc, runs } = await service(supervisor, '400,50,50,50,3500,50,-1');
    await supervisor.waitUntilReady(svc);
    await until(() => expect(runs()).toBe(7), 30_000);
    expect(svc.restarts.map((r) => r.delayMs)).toEqual([50, 100, 200, 200, 50, 100]);
    expect(svc.restarts[4]!.uptimeMs).toBeGreaterThanOrEqual(policy.resetAfterMs);
    expect(fatal).toEqual([]);
  }, 40_000);

  it('cancels a pending restart when everything is stopped', async () => {
    const { supervisor } = harness({ restart: { initialDelayMs: 1_000, maxDelayMs: 1_000, resetAfterMs: 60_000 } });
    const { service: svc, runs } = await service(supervisor, '300,-1');
    await supervisor.waitUntilReady(svc);
    await until(() => expect(svc.restarts).toHaveLength(1));
    await supervisor.stopAll();
    await sleep(1_300);
    expect(runs()).toBe(1);
  });

  it('computes the backoff: 0.5 s, doubling to 10 s, back to 0.5 s after 60 s of uptime', () => {
    const policy = { initialDelayMs: 500, maxDelayMs: 10_000, resetAfterMs: 60_000 };
    const delays: number[] = [];
    let previous: number | undefined;
    for (let i = 0; i < 7; i++) delays.push((previous = restartDelay(policy, previous, 1_000)));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(restartDelay(policy, 10_000, 59_999)).toBe(10_000);
    expect(restartDelay(policy, 10_000, 60_000)).toBe(500);
  });

  it("waits for a process's whole shutdown (the drain period, then up to 10 s) before SIGKILL", () => {
    expect(shutdownBudgetMs({})).toBe(14_000);
    expect(shutdownBudgetMs({ SHUTDOWN_DRAIN_SECONDS: '0' })).toBe(11_000);
    expect(shutdownBudgetMs({ SHUTDOWN_DRAIN_SECONDS: '20' })).toBe(31_000);
    expect(shutdownBudgetMs({ SHUTDOWN_DRAIN_SECONDS: 'soon' })).toBe(14_000);
  });
});
