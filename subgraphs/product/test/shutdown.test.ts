import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DRAINING_HEADER } from '@shop/runtime';
import { createDatabase } from '@shop/runtime/subgraph';
import { createTestRun, eventually, freePort, POSTGRES_URL, startProcess, startTcpProxy, subgraphRequest } from '@shop/testing';
import { createProductApp, type ProductApp } from '../src/app';
import { parseConfig } from '../src/config';

/**
 * Graceful shutdown and health, on the real product subgraph: what a load balancer, the router
 * and a client see while a replica drains, and what /health/ready says when a dependency is away.
 */
const run = createTestRun();
afterAll(() => run.cleanup());

const admin = { userId: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' as const };
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id stock } }`;
const RESTOCK = `mutation($id: ID!, $quantity: Int!) { restockProduct(id: $id, quantity: $quantity) { id stock } }`;
const PRODUCTS = '{ products(first: 1) { edges { node { id } } } }';

const baseOf = (app: { url: string }) => app.url.replace(/\/graphql$/, '');
/** The error a connection attempt ended with (ECONNREFUSED once nothing listens), or null if it was answered. */
const connectionError = (url: string) =>
  fetch(url).then(
    () => null,
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  );
const readiness = async (base: string) => {
  const started = Date.now();
  const response = await fetch(`${base}/health/ready`);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> }, ms: Date.now() - started };
};

let seq = 0;
async function createProduct(app: ProductApp): Promise<string> {
  seq += 1;
  const input = { sku: `DRAIN-${seq}`, name: `Drain ${seq}`, description: 'd', category: 'tests', priceCents: 100, stock: 5 };
  const res = await subgraphRequest(app.url, CREATE, { input }, admin);
  expect(res.errors).toBeUndefined();
  return res.data.createProduct.id as string;
}

describe('graceful shutdown', () => {
  it('lets the request in flight finish, answers new ones with the draining answer, then refuses connections', async () => {
    const app = await createProductApp(parseConfig(run.env('product', { SHUTDOWN_DRAIN_SECONDS: '1' })));
    const base = baseOf(app);
    // A second connection pool, to hold a row lock the way another writer would.
    const other = createDatabase<any>({ url: POSTGRES_URL, database: run.env('product').POSTGRES_DB!, poolSize: 2 });
    let release: () => void = () => undefined;
    let stopping: Promise<void> | undefined;
    try {
      const id = await createProduct(app);
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = other.transaction().execute(async (trx) => {
        await sql`select id from products where id = ${id} for update`.execute(trx);
        locked();
        await released;
      });
      await isLocked;

      // A real restock, waiting in Postgres for the row lock: a request in flight.
      const inFlight = subgraphRequest(app.url, RESTOCK, { id, quantity: 3 }, admin);
      await eventually(async () => {
        const waiting = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(other);
        expect(waiting.rows[0]!.n).toBe(1);
      });

      stopping = app.stop();
      const stopStarted = Date.now();

      // During the drain: out of the load balancer's rotation, still alive, refusing new work.
      expect((await readiness(base)).status).toBe(503);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      const refused = await subgraphRequest(app.url, PRODUCTS, {}, admin);
      expect(refused.status).toBe(503);
      expect(refused.headers.get(DRAINING_HEADER)).toBe('1');
      expect(refused.headers.get('connection')).toBe('close');
      expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.data).toBeUndefined();
      // A mutation is refused the same way, and did not run.
      const refusedWrite = await subgraphRequest(app.url, RESTOCK, { id, quantity: 100 }, admin);
      expect(refusedWrite.status).toBe(503);
      expect(refusedWrite.headers.get(DRAINING_HEADER)).toBe('1');
      expect(Date.now() - stopStarted).toBeLessThan(1_000);

      // The request in flight ran to completion.
      release();
      await holding;
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.errors).toBeUndefined();
      expect(answered.data.restockProduct).toEqual({ id, stock: 8 });
      // Its connection closes after it rather than wait for the next request.
      expect(answered.headers.get('connection')).toBe('close');

      await stopping;
      expect(Date.now() - stopStarted).toBeGreaterThanOrEqual(1_000);
      expect(await connectionError(`${base}/health/live`)).toBe('ECONNREFUSED');
      const stock = await other.selectFrom('products').select('stock').where('id', '=', id).executeTakeFirstOrThrow();
      expect(stock.stock).toBe(8);
    } finally {
      release();
      await (stopping ?? app.stop());
      await other.destroy();
    }
  });

  it('a product process drains on SIGTERM and exits 0 within the drain plus 10 s, saying so in its log', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // development, not test: Apollo Server installs its own SIGTERM handler outside tests, and it must not cut the drain short.
    const env = run.env('product', { PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_SECONDS: '1' });
    const child = await startProcess(join(__dirname, '../dist/index.js'), env, `${base}/health/live`);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      expect((await readiness(base)).status).toBe(200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      await eventually(async () => expect((await readiness(base)).status).toBe(503), { timeoutMs: 900, intervalMs: 20 });
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect(await exited).toEqual({ code: 0, signal: null });
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(1_000);
      expect(took).toBeLessThan(11_000);
      expect(output).toContain('draining');
      expect(output).toContain('drained');
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('readiness', () => {
  it('stays ready with Redis unreachable, and says Redis is down', async () => {
    const app = await createProductApp(parseConfig(run.env('product', { REDIS_URL: `redis://127.0.0.1:${await freePort()}` })));
    try {
      const { status, body } = await readiness(baseOf(app));
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.checks.postgres).toBe('ok');
      expect(body.checks.redis).toMatch(/^down/);
      // And it serves.
      expect((await subgraphRequest(app.url, PRODUCTS, {}, admin)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('answers 503 within the check timeout when Postgres hangs, and when it is unreachable', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(POSTGRES_URL).port || 5432) });
    const postgresUrl = new URL(POSTGRES_URL);
    postgresUrl.port = String(proxy.port);
    const app = await createProductApp(parseConfig(run.env('product', { POSTGRES_URL: postgresUrl.toString().replace(/\/$/, '') })));
    try {
      const base = baseOf(app);
      expect((await readiness(base)).status).toBe(200);

      proxy.hang();
      for (let i = 0; i < 2; i += 1) {
        const hung = await readiness(base);
        expect(hung.status).toBe(503);
        expect(hung.body.checks.postgres).toMatch(/^down/);
        expect(hung.ms).toBeLessThan(2_000);
      }
      expect((await fetch(`${base}/health/live`)).status).toBe(200);

      await proxy.close();
      await eventually(async () => {
        const unreachable = await readiness(base);
        expect(unreachable.status).toBe(503);
        expect(unreachable.body.checks.postgres).toMatch(/^down: (?!no answer)/);
      });
    } finally {
      await proxy.close();
      await app.stop();
    }
  });
});
