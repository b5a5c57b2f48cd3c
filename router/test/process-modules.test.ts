import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRun, REDIS_URL, TEST_SIGNING_SECRET } from '@shop/testing';

const run = createTestRun();
afterAll(() => run.cleanup());

/** Starts the built router in a fresh Node process and lists every module file it loaded. */
async function modulesLoadedByRouter(): Promise<string[]> {
  const lib = join(__dirname, '../dist/lib.js');
  const program = `
    const { createRouterApp, parseConfig } = require(${JSON.stringify(lib)});
    createRouterApp(parseConfig(process.env)).then(async (app) => {
      const answer = await fetch(app.url.replace(/\\/graphql$/, '') + '/health/live');
      const loaded = Object.keys(require.cache);
      await app.stop();
      process.stdout.write(JSON.stringify({ status: answer.status, loaded }));
    });
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', program], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: '0',
      SHUTDOWN_DRAIN_SECONDS: '0',
      REDIS_URL,
      REDIS_KEY_PREFIX: run.redisPrefix,
      ROUTER_SIGNING_SECRETS: TEST_SIGNING_SECRET,
    },
    timeout: 30_000,
  });
  const { status, loaded } = JSON.parse(stdout) as { status: number; loaded: string[] };
  expect(status).toBe(200);
  return loaded;
}

const packageOf = (file: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.slice(file.lastIndexOf('node_modules/')))?.[1];

describe('the router process', () => {
  it('loads the runtime core only: no Postgres driver, kysely, type-graphql or reflect-metadata', async () => {
    const packages = new Set((await modulesLoadedByRouter()).map(packageOf).filter(Boolean));
    // It did start a gateway: the check below looks at a real router, not an empty process.
    expect(packages).toContain('@apollo/gateway');
    expect(packages).toContain('ioredis');
    for (const unwanted of ['pg', 'pg-pool', 'kysely', 'type-graphql', 'reflect-metadata', 'dataloader']) {
      expect(packages, `the router loaded ${unwanted}`).not.toContain(unwanted);
    }
  });
});
