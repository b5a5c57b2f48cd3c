import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, eventually, freePort, routerRequest } from '@shop/testing';
import { REPO_ROOT } from '../src/paths';
import { SUBGRAPH_NAMES } from '../src/subgraphs';

const run = createTestRun();
const ports: Record<string, number> = {};
const env: NodeJS.ProcessEnv = {};

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` after the build, from an unrelated directory and with no secrets configured. */
function start(args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/dist/start.js'), ...args], {
    cwd: tmpdir(),
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function untilRunning(started: Started): Promise<void> {
  await Promise.race([
    eventually(async () => expect(started.output()).toContain('The shop is running.'), { timeoutMs: 100_000, intervalMs: 200 }),
    started.exited.then((code) => {
      throw new Error(`start.js exited with ${code}:\n${started.output()}`);
    }),
  ]);
}

async function isListening(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2_000) }).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  const base = run.env('product');
  Object.assign(env, process.env, base);
  // Left unset so that the router and the subgraphs must agree through the generated .secrets.
  delete env.ROUTER_SIGNING_SECRETS;
  delete env.SECRETS_DIR;
  delete env.POSTGRES_DB;
  delete env.PORT;
  env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'info';
  for (const name of [...SUBGRAPH_NAMES, 'router']) {
    ports[name] = await freePort();
    env[`${name.toUpperCase()}_PORT`] = String(ports[name]);
  }
  for (const name of SUBGRAPH_NAMES) env[`${name.toUpperCase()}_POSTGRES_DB`] = run.env(name).POSTGRES_DB;
});

afterAll(async () => {
  await run.cleanup();
});

describe('npm start', () => {
  let started: Started;
  let router: string;

  beforeAll(async () => {
    started = start();
    await untilRunning(started);
    router = `http://127.0.0.1:${ports.router}/graphql`;
  }, 120_000);

  afterAll(async () => {
    if (started && started.child.exitCode === null) {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  });

  it('prints the router URL, every subgraph URL and the demo accounts', () => {
    const output = started.output();
    expect(output).toContain(`router   http://localhost:${ports.router}/graphql`);
    for (const name of SUBGRAPH_NAMES) expect(output).toContain(`http://127.0.0.1:${ports[name]}/graphql`);
    expect(output).toMatch(/admin@example\.com\s+admin-password\s+ADMIN/);
    expect(output).toMatch(/customer@example\.com\s+customer-password\s+CUSTOMER/);
    expect(output).toMatch(/^cart +\| /m);
  });

  it('keeps the generated development secrets in the repository, whatever the working directory', () => {
    expect(existsSync(join(REPO_ROOT, '.secrets', 'router-signing-secret'))).toBe(true);
    expect(existsSync(join(tmpdir(), '.secrets', 'router-signing-secret'))).toBe(false);
  });

  it('serves the seeded demo shop: log in, add to cart, order, and read it back across all four subgraphs', async () => {
    const login = await routerRequest(router, 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
      input: { email: 'customer@example.com', password: 'customer-password' },
    });
    expect(login.errors).toBeUndefined();
    const token = login.data.logIn.accessToken as string;

    const products = await routerRequest(router, '{ products(first: 2) { edges { node { id name price { amountCents } } } } }');
    expect(products.errors).toBeUndefined();
    const product = products.data.products.edges[0].node;

    // The cart learns prices from product.created events relayed after start.
    await eventually(
      async () => {
        const added = await routerRequest(router, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 2) { totalQuantity } }', { id: product.id }, token);
        expect(added.errors).toBeUndefined();
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await eventually(
      async () => {
        const placed = await routerRequest(
          router,
          'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { status } }',
          { input: { idempotencyKey: `start-test-${run.id}`, items: [{ productId: product.id, quantity: 1 }] } },
          token,
        );
        expect(placed.errors).toBeUndefined();
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );

    const me = await routerRequest(
      router,
      '{ me { name cart { items { quantity product { name price { amountCents } } } } orders { edges { node { status total { amountCents } } } } } }',
      {},
      token,
    );
    expect(me.errors).toBeUndefined();
    expect(me.data.me.name).toBe('Casey Customer');
    expect(me.data.me.orders.edges).toHaveLength(1);
    expect(me.data.me.orders.edges[0].node.total.amountCents).toBe(product.price.amountCents);
    // 2 added, 1 ordered: the line stays (with 1 left once stock is reserved).
    expect(me.data.me.cart.items).toHaveLength(1);
    expect(me.data.me.cart.items[0].product.name).toBe(product.name);
  }, 60_000);

  it('starts a subgraph killed with SIGKILL again; meanwhile the router answers partial data, then full data', async () => {
    const login = await routerRequest(router, 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
      input: { email: 'customer@example.com', password: 'customer-password' },
    });
    const token = login.data.logIn.accessToken as string;
    const ME = '{ me { name } products(first: 1) { edges { node { name } } } }';
    const pid = Number(new RegExp(`product +http://127\\.0\\.0\\.1:${ports.product}/graphql +pid (\\d+)`).exec(started.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    // Before the supervisor has it back (0.5 s, then its start-up): the user subgraph's part
    // answers, the product subgraph's is null with an error.
    const partial = await routerRequest(router, ME, {}, token);
    expect(partial.status).toBe(200);
    expect(partial.data.me.name).toBe('Casey Customer');
    expect(partial.data.products).toBeNull();
    expect(partial.errors?.length).toBeGreaterThan(0);
    await eventually(
      async () =>
        expect(started.output()).toMatch(/supervisor: product exited \(signal SIGKILL, pid \d+, after [0-9.]+ s\) after it was ready; restarting it in 0\.5 s/),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    await eventually(async () => expect(started.output()).toMatch(/supervisor: product is ready again \(pid \d+\)/), { timeoutMs: 60_000, intervalMs: 200 });
    expect(started.child.exitCode).toBeNull();
    const products = await routerRequest(router, '{ products(first: 2) { edges { node { name } } } }');
    expect(products.errors).toBeUndefined();
    expect(products.data.products.edges).toHaveLength(2);
    const full = await routerRequest(router, ME, {}, token);
    expect(full.errors).toBeUndefined();
    expect(full.data.products.edges[0].node.name).toEqual(expect.any(String));
  }, 90_000);

  it('Ctrl-C stops every service and exits 0', async () => {
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    for (const name of [...SUBGRAPH_NAMES, 'router']) expect(await isListening(ports[name]!), `${name} still listening`).toBe(false);
  }, 30_000);
});

describe('npm start when a service dies', () => {
  let squatter: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    squatter = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => squatter.listen(ports.order, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => squatter.close(resolve));
  });

  it('stops the others and exits 1 when the order subgraph cannot listen', async () => {
    const started = start();
    const code = await started.exited;
    expect(code, started.output()).toBe(1);
    expect(started.output()).toMatch(/order exited/);
    for (const name of ['product', 'user', 'cart', 'router']) expect(await isListening(ports[name]!), `${name} still listening`).toBe(false);
  }, 120_000);
});

describe('npm start --replicas without HAProxy', () => {
  it('says how to install it and exits non-zero, before it starts anything', async () => {
    const started = start(['--replicas', '2'], { HAPROXY_BIN: join(tmpdir(), 'no-haproxy-here') });
    const code = await started.exited;
    expect(code).not.toBe(0);
    expect(started.output()).toContain('sudo apt-get install haproxy');
    expect(started.output()).not.toContain('migrate');
  });
});
