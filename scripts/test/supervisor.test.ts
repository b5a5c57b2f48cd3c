import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTER_NODE_FLAGS } from '@shop/router';
import { REPO_ROOT } from '../src/paths';
import { Supervisor } from '../src/start/supervisor';

describe('the supervisor (npm start, the bench)', () => {
  it('starts a service with its node flags before the script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
    try {
      const script = join(dir, 'probe.js');
      writeFileSync(script, 'console.log("flags " + JSON.stringify(process.execArgv));\n');
      const output: string[] = [];
      const supervisor = new Supervisor({ cwd: dir, write: (text) => output.push(text), pretty: false, onUnexpectedExit: () => undefined });
      const probe = supervisor.spawn({ name: 'probe', script, nodeArgs: ROUTER_NODE_FLAGS, env: process.env, healthUrl: 'http://127.0.0.1:9/health/live' });
      expect(await probe.exited).toEqual({ code: 0, signal: null });
      await new Promise((resolve) => setTimeout(resolve, 50)); // the last output lines
      expect(output.join('')).toContain(`flags ${JSON.stringify(ROUTER_NODE_FLAGS)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the router with the same node flags in the compose file', () => {
    const compose = readFileSync(join(REPO_ROOT, 'docker/docker-compose.yml'), 'utf8');
    const router = compose.slice(compose.indexOf('\n  router:'));
    expect(/NODE_OPTIONS: (.+)/.exec(router)?.[1]?.trim()).toBe(ROUTER_NODE_FLAGS.join(' '));
  });
});
