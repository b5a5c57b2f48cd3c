import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@shop/runtime/subgraph';
import { eventually, freePort, POSTGRES_URL, type GraphQLResponse } from '@shop/testing';
import { seedDemoAccounts } from '@shop/user-subgraph';
import { LOG_IN, SIGN_UP, startStack, type Stack } from './stack';

/**
 * Redis is a cache and a session store, never a dependency a signed-in user's work needs:
 * with it killed, reads and orders go on; logIn says SERVICE_UNAVAILABLE; and when it comes
 * back with entries written before the outage, none of them is served stale.
 */
let stack: Stack;
let redis: ChildProcess | undefined;
let redisPort: number;
let redisDir: string;

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], {
    stdio: 'ignore',
  });
  await eventually(async () => {
    const client = new Redis(redisPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
}

async function killRedis(): Promise<void> {
  const exited = new Promise((resolve) => redis!.once('exit', resolve));
  redis!.kill('SIGKILL');
  await exited;
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const ok = <T>(res: GraphQLResponse<T>): any => {
  expect(res.errors).toBeUndefined();
  return res.data;
};

/** A hang detector, not a speed check: with a 250 ms command timeout nothing should wait seconds. */
async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  expect(Date.now() - started).toBeLessThan(5_000);
  return result;
}

beforeAll(async () => {
  redisPort = await freePort();
  redisDir = mkdtempSync(join(tmpdir(), 'shop-redis-'));
  await startRedis();
  const REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  stack = await startStack({ product: { REDIS_URL }, user: { REDIS_URL }, cart: { REDIS_URL }, order: { REDIS_URL }, router: { REDIS_URL } });
  const userDb = createDatabase<any>({ url: POSTGRES_URL, database: stack.database('user') });
  await seedDemoAccounts(userDb, { nodeEnv: 'test' }).finally(() => userDb.destroy());
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (redis && redis.exitCode === null) await killRedis();
  rmSync(redisDir, { recursive: true, force: true });
});

describe('Redis down', () => {
  it('slows nothing a signed-in user is doing into a failure, and serves nothing stale afterwards', async () => {
    const admin = ok(await stack.query(LOG_IN, { email: 'admin@example.com', password: 'admin-password' })).logIn.accessToken as string;
    const email = `redis-${randomUUID()}@example.com`;
    const shopper = ok(await stack.query(SIGN_UP, { email, password: 'correct-horse', name: 'Redis Rick' })).signUp;
    const sku = `RD-${randomUUID().slice(0, 8)}`;
    const product = ok(
      await stack.query(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku, name: 'Resilient mug', description: '', category: 'redis', priceCents: 1000, stock: 10 } },
        admin,
      ),
    ).createProduct;
    const readProduct = async () => ok(await stack.query(`query($id: ID!) { product(id: $id) { price { amountCents } stock } }`, { id: product.id })).product;
    const readCart = async () => ok(await stack.query(`{ myCart { totalQuantity subtotal { amountCents } } }`, {}, shopper.accessToken)).myCart;
    await eventually(async () =>
      ok(await stack.query(`mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { id } }`, { p: product.id }, shopper.accessToken)),
    );
    // Warm every cache, and keep a snapshot of it that the restarted Redis will load.
    expect(await readProduct()).toEqual({ price: { amountCents: 1000 }, stock: 10 });
    expect(await readCart()).toEqual({ totalQuantity: 2, subtotal: { amountCents: 2000 } });
    const snapshot = new Redis(redisPort, '127.0.0.1');
    await snapshot.save();
    snapshot.disconnect();

    await killRedis();

    expect(await timed(readProduct)).toEqual({ price: { amountCents: 1000 }, stock: 10 });
    expect(ok(await timed(() => stack.query(`{ me { email } }`, {}, shopper.accessToken))).me.email).toBe(email);
    expect(codeOf(await timed(() => stack.query(LOG_IN, { email, password: 'correct-horse' })))).toBe('SERVICE_UNAVAILABLE');
    const cart = ok(
      await timed(() => stack.query(`mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { totalQuantity } }`, { p: product.id }, shopper.accessToken)),
    ).addToCart;
    expect(cart.totalQuantity).toBe(3);
    ok(await timed(() => stack.query(`mutation($id: ID!) { updateProduct(id: $id, input: { priceCents: 1500 }) { id } }`, { id: product.id }, admin)));
    const order = ok(
      await timed(() =>
        stack.query(
          `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id total { amountCents } } }`,
          { input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] } },
          shopper.accessToken,
        ),
      ),
    ).placeOrder;
    await eventually(async () => {
      const status = ok(await stack.query(`query($id: ID!) { order(id: $id) { status } }`, { id: order.id }, shopper.accessToken)).order.status;
      expect(status).toBe('CONFIRMED');
    });

    await startRedis(); // loads the snapshot: entries from before the price change and the order

    await eventually(async () => expect(ok(await stack.query(LOG_IN, { email, password: 'correct-horse' })).logIn.user.name).toBe('Redis Rick'), {
      timeoutMs: 15_000,
    });
    for (let i = 0; i < 3; i++) {
      expect(await readProduct()).toEqual({ price: { amountCents: 1500 }, stock: 9 });
      expect(await readCart()).toEqual({ totalQuantity: 2, subtotal: { amountCents: 3000 } });
    }
  });
});
