import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpCacheGenerations, eventually, POSTGRES_URL, type GraphQLResponse } from '@shop/testing';
import { createDatabase } from '@shop/runtime/subgraph';
import { seedDemoAccounts } from '@shop/user-subgraph';
import { LOG_IN, SIGN_UP, startStack, SUBGRAPHS, type Stack } from './stack';

/** The supergraph end to end: five processes, real Postgres, Redis and RabbitMQ. */
let stack: Stack;
let adminToken: string;

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const ok = <T>(res: GraphQLResponse<T>): T => {
  expect(res.errors).toBeUndefined();
  return res.data as T;
};

async function signUp(name = 'Test Shopper') {
  const email = `shopper-${randomUUID()}@example.com`;
  const data = ok(await stack.query(SIGN_UP, { email, password: 'correct-horse', name }));
  return { email, ...data.signUp } as { email: string; accessToken: string; refreshToken: string; user: { id: string } };
}

async function createProduct(stock: number, priceCents = 1250) {
  const sku = `E2E-${randomUUID().slice(0, 8)}`;
  const data = ok(
    await stack.query(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku stock price { amountCents } } }`,
      { input: { sku, name: `Widget ${sku}`, description: 'An end-to-end widget', category: 'e2e', priceCents, stock } },
      adminToken,
    ),
  );
  return data.createProduct as { id: string; sku: string; stock: number };
}

/** Cart and order learn products through events; wait until the cart accepts it. */
async function addToCart(token: string, productId: string, quantity: number) {
  return eventually(async () => {
    const res = await stack.query(
      `mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { totalQuantity subtotal { amountCents } items { quantity product { id } } } }`,
      { p: productId, q: quantity },
      token,
    );
    return ok(res).addToCart;
  });
}

const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amountCents } items { quantity unitPrice { amountCents } } } }`;

async function placeOrder(token: string, items: Array<{ productId: string; quantity: number }>, idempotencyKey = randomUUID()) {
  return eventually(async () => ok(await stack.query(PLACE_ORDER, { input: { idempotencyKey, items } }, token)).placeOrder);
}

const orderStatus = async (token: string, id: string) =>
  ok(await stack.query(`query($id: ID!) { order(id: $id) { status } }`, { id }, token)).order.status as string;

const stockOf = async (id: string) => ok(await stack.query(`query($id: ID!) { product(id: $id) { stock } }`, { id })).product.stock as number;

beforeAll(async () => {
  // Products stay in the router's memory past any wait below (up to their 30 s max-age): a read
  // that shows a change shows that the invalidation reached the router, not that time passed.
  stack = await startStack({ router: { ROUTER_ENTITY_CACHE_TTL_SECONDS: '60' } });
  const userDb = createDatabase<any>({ url: POSTGRES_URL, database: stack.database('user') });
  try {
    await seedDemoAccounts(userDb, { nodeEnv: 'test' });
  } finally {
    await userDb.destroy();
  }
  adminToken = ok(await stack.query(LOG_IN, { email: 'admin@example.com', password: 'admin-password' })).logIn.accessToken;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('identity', () => {
  it('signs up, logs in, refreshes (the old refresh token is refused) and logs out', async () => {
    const user = await signUp('Refresh Rita');
    const login = ok(await stack.query(LOG_IN, { email: user.email, password: 'correct-horse' })).logIn;
    expect(login.user.name).toBe('Refresh Rita');
    const me = ok(await stack.query(`{ me { id email name role } }`, {}, login.accessToken)).me;
    expect(me).toEqual({ id: user.user.id, email: user.email, name: 'Refresh Rita', role: 'CUSTOMER' });

    const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`;
    const refreshed = ok(await stack.query(REFRESH, { t: login.refreshToken })).refreshSession;
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expect(codeOf(await stack.query(REFRESH, { t: login.refreshToken }))).toBe('UNAUTHENTICATED');

    const LOG_OUT = `mutation($t: String!) { logOut(refreshToken: $t) }`;
    expect(ok(await stack.query(LOG_OUT, { t: refreshed.refreshToken })).logOut).toBe(true);
    expect(ok(await stack.query(LOG_OUT, { t: refreshed.refreshToken })).logOut).toBe(false);
    expect(codeOf(await stack.query(REFRESH, { t: refreshed.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('answers a wrong password with UNAUTHENTICATED', async () => {
    expect(codeOf(await stack.query(LOG_IN, { email: 'admin@example.com', password: 'wrong-password' }))).toBe('UNAUTHENTICATED');
  });
});

describe('shopping', () => {
  it('pages through products', async () => {
    for (let i = 0; i < 3; i++) await createProduct(5);
    const first = ok(await stack.query(`{ products(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`)).products;
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(
      await stack.query(`query($after: String) { products(first: 2, after: $after) { edges { node { id } } } }`, { after: first.pageInfo.endCursor }),
    ).products;
    expect(second.edges.map((e: any) => e.node.id)).not.toContain(first.edges[0].node.id);
  });

  it('places an order that reaches CONFIRMED, takes the stock and empties those cart lines', async () => {
    const shopper = await signUp();
    const [a, b] = [await createProduct(10, 1000), await createProduct(10, 250)];
    await addToCart(shopper.accessToken, a.id, 3);
    const cart = await addToCart(shopper.accessToken, b.id, 2);
    expect(cart.subtotal.amountCents).toBe(3 * 1000 + 2 * 250);

    const order = await placeOrder(shopper.accessToken, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 1 },
    ]);
    expect(order.total.amountCents).toBe(3250);
    expect(['PENDING', 'CONFIRMED']).toContain(order.status);
    await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('CONFIRMED'));
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([7, 9]);
    await eventually(async () => {
      const myCart = ok(await stack.query(`{ myCart { items { quantity product { id } } } }`, {}, shopper.accessToken)).myCart;
      expect(myCart.items).toEqual([{ quantity: 1, product: { id: b.id } }]);
    });
  });

  it('carries the client’s trace from the request into the order’s events and the stock verdict', async () => {
    const shopper = await signUp();
    const product = await createProduct(5);
    await addToCart(shopper.accessToken, product.id, 1);
    const traceId = randomUUID().replaceAll('-', '');
    const idempotencyKey = randomUUID();
    const input = { idempotencyKey, items: [{ productId: product.id, quantity: 1 }] };
    const order = await eventually(
      async () => ok(await stack.query(PLACE_ORDER, { input }, shopper.accessToken, { traceparent: `00-${traceId}-${'1'.repeat(16)}-01` })).placeOrder,
    );
    await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('CONFIRMED'));

    const traceOf = async (subgraph: 'order' | 'product', type: string) => {
      const db = createDatabase<any>({ url: POSTGRES_URL, database: stack.database(subgraph) });
      try {
        const row = await db.selectFrom('outbox').select('traceparent').where('aggregate_id', '=', order.id).where('type', '=', type).executeTakeFirstOrThrow();
        return (row.traceparent as string).split('-')[1];
      } finally {
        await db.destroy();
      }
    };
    expect(await traceOf('order', 'order.placed')).toBe(traceId);
    expect(await traceOf('product', 'stock.reserved')).toBe(traceId);
  });

  it('rejects an order for more than the stock and leaves the stock unchanged', async () => {
    const shopper = await signUp();
    const [a, b] = [await createProduct(10), await createProduct(1)];
    const order = await placeOrder(shopper.accessToken, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 2 },
    ]);
    await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('REJECTED'));
    expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 1]);
  });

  it('gives one order for one idempotency key, sent twice and concurrently', async () => {
    const shopper = await signUp();
    const a = await createProduct(100);
    const key = randomUUID();
    const items = [{ productId: a.id, quantity: 1 }];
    const first = await placeOrder(shopper.accessToken, items, key);
    const again = await placeOrder(shopper.accessToken, items, key);
    expect(again.id).toBe(first.id);

    const raceKey = randomUUID();
    await placeOrder(shopper.accessToken, items, randomUUID()); // projection is warm now
    const raced = await Promise.all(
      Array.from({ length: 5 }, () => stack.query(PLACE_ORDER, { input: { idempotencyKey: raceKey, items } }, shopper.accessToken)),
    );
    expect(new Set(raced.map((r) => ok(r).placeOrder.id)).size).toBe(1);

    const orders = ok(await stack.query(`{ myOrders(first: 100) { edges { node { id } } } }`, {}, shopper.accessToken)).myOrders.edges;
    expect(orders).toHaveLength(3);
    expect(codeOf(await stack.query(PLACE_ORDER, { input: { idempotencyKey: key, items: [{ productId: a.id, quantity: 2 }] } }, shopper.accessToken))).toBe(
      'CONFLICT',
    );
  });

  it('gives back a cancelled order’s stock once, and a second cancel changes nothing', async () => {
    const shopper = await signUp();
    const a = await createProduct(10);
    const order = await placeOrder(shopper.accessToken, [{ productId: a.id, quantity: 4 }]);
    await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('CONFIRMED'));
    expect(await stockOf(a.id)).toBe(6);
    const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;
    expect(ok(await stack.query(CANCEL, { id: order.id }, shopper.accessToken)).cancelOrder.status).toBe('CANCELLED');
    await eventually(async () => expect(await stockOf(a.id)).toBe(10));
    expect(ok(await stack.query(CANCEL, { id: order.id }, shopper.accessToken)).cancelOrder.status).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stockOf(a.id)).toBe(10);
  });

  it('carries a price change to the cart', async () => {
    const shopper = await signUp();
    const a = await createProduct(10, 1000);
    await addToCart(shopper.accessToken, a.id, 2);
    ok(await stack.query(`mutation($id: ID!) { updateProduct(id: $id, input: { priceCents: 1500 }) { id } }`, { id: a.id }, adminToken));
    await eventually(async () => {
      const cart = ok(await stack.query(`{ myCart { subtotal { amountCents } items { unitPrice { amountCents } } } }`, {}, shopper.accessToken)).myCart;
      expect(cart.subtotal.amountCents).toBe(3000);
    });
  });

  it('answers one query that spans all four subgraphs', async () => {
    const shopper = await signUp('Spanning Sam');
    const a = await createProduct(10, 499);
    await addToCart(shopper.accessToken, a.id, 2);
    const order = await placeOrder(shopper.accessToken, [{ productId: a.id, quantity: 1 }]);
    await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('CONFIRMED'));
    const data = ok(
      await stack.query(
        `{ me { name email cart { totalQuantity items { quantity product { name price { amountCents } } } }
             orders(first: 5) { edges { node { status total { amountCents } items { productName product { sku stock } } } } } } }`,
        {},
        shopper.accessToken,
      ),
    );
    expect(data.me.name).toBe('Spanning Sam');
    expect(data.me.cart.items).toEqual([{ quantity: 1, product: { name: `Widget ${a.sku}`, price: { amountCents: 499 } } }]);
    expect(data.me.orders.edges).toEqual([
      { node: { status: 'CONFIRMED', total: { amountCents: 499 }, items: [{ productName: `Widget ${a.sku}`, product: { sku: a.sku, stock: 9 } }] } },
    ]);
  });

  it('costs at most one SQL statement per entity type per subgraph cold, and no product or user reads warm', async () => {
    const shopper = await signUp('Counting Carla');
    const products = [await createProduct(50, 100), await createProduct(50, 200), await createProduct(50, 300)];
    for (const p of products) await addToCart(shopper.accessToken, p.id, 5);
    for (const p of products) {
      const order = await placeOrder(shopper.accessToken, [
        { productId: p.id, quantity: 1 },
        { productId: products[0]!.id === p.id ? products[1]!.id : products[0]!.id, quantity: 1 },
      ]);
      await eventually(async () => expect(await orderStatus(shopper.accessToken, order.id)).toBe('CONFIRMED'));
    }
    const query = `query Everything { me { name cart { items { quantity product { name price { amountCents } stock } } }
      orders(first: 20) { edges { node { status items { productName product { name stock } } } } } } }`;
    const counted = async () => {
      const before = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (n) => [n, await stack.sqlStatements(n)] as const)));
      ok(await stack.query(query, {}, shopper.accessToken));
      return Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (n) => [n, (await stack.sqlStatements(n)) - before[n]] as const)));
    };
    await bumpCacheGenerations(stack.redisPrefix, SUBGRAPHS);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // every process sees the new generation (each re-reads it every second)
    // Cold: users; carts and prices; recent orders and their lines. The router asks for the
    // cart's and the orders' products in two parallel branches of its plan: one statement each,
    // or one for both when they reach the product subgraph within its batch window.
    const cold = await counted();
    expect(cold).toMatchObject({ user: 1, cart: 2, order: 2 });
    expect([1, 2]).toContain(cold.product);
    expect(await counted()).toEqual({ user: 0, cart: 0, order: 0, product: 0 });
  });
});

describe('the router’s entity cache', () => {
  /** Product entities the router answered from its memory so far, from its /metrics. */
  const entityHits = async () => {
    const text = await (await fetch(new URL('/metrics', stack.routerUrl))).text();
    return Number(/^router_entity_cache_total\{subgraph="product",result="hit"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('answers repeated product entities from memory, and shows a product’s change on the very next read', async () => {
    const [watcher, buyer] = [await signUp(), await signUp()];
    const a = await createProduct(10, 700);
    await addToCart(watcher.accessToken, a.id, 1);
    const productInCart = async () =>
      ok(await stack.query(`{ myCart { items { product { id name stock price { amountCents } } } } }`, {}, watcher.accessToken)).myCart.items[0].product;
    /** Reads the product until the router answers it from memory. */
    const fromMemory = () =>
      eventually(async () => {
        await productInCart();
        const before = await entityHits();
        const read = await productInCart();
        expect(await entityHits()).toBe(before + 1);
        return read;
      });
    expect(await fromMemory()).toEqual({ id: a.id, name: `Widget ${a.sku}`, stock: 10, price: { amountCents: 700 } });

    // A change made through the router shows at once: the product subgraph has published the
    // invalidation, and the router has it, before the mutation's answer reaches the router.
    ok(await stack.query(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed widget" }) { id } }`, { id: a.id }, adminToken));
    expect(await productInCart()).toMatchObject({ name: 'Renamed widget', stock: 10 });

    // So does stock another user's order took, as soon as that order is CONFIRMED (the stock
    // handler publishes the invalidation before the stock.reserved event).
    expect(await fromMemory()).toMatchObject({ name: 'Renamed widget', stock: 10 });
    const order = await placeOrder(buyer.accessToken, [{ productId: a.id, quantity: 3 }]);
    await eventually(async () => expect(await orderStatus(buyer.accessToken, order.id)).toBe('CONFIRMED'));
    expect(await productInCart()).toMatchObject({ name: 'Renamed widget', stock: 7 });
  });
});

describe('security', () => {
  it('answers UNAUTHENTICATED when a token is needed and missing', async () => {
    expect(codeOf(await stack.query(`{ myCart { id } }`))).toBe('UNAUTHENTICATED');
    expect(codeOf(await stack.query(`{ myOrders { edges { cursor } } }`))).toBe('UNAUTHENTICATED');
    expect(ok(await stack.query(`{ me { id } }`)).me).toBeNull();
  });

  it('refuses forged, expired and alg:none tokens with UNAUTHENTICATED', async () => {
    const shopper = await signUp();
    const [header, payload, signature] = shopper.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = `${header}.${b64({ ...claims, role: 'ADMIN' })}.${signature}`;
    const expired = `${header}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })}.${signature}`;
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    for (const token of [forged, expired, none, 'not-a-jwt']) {
      const res = await stack.query(`{ me { id } }`, {}, token);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
  });

  it('keeps other users out of a cart, orders and email', async () => {
    const [alice, bob] = [await signUp('Alice'), await signUp('Bob')];
    const res = await stack.query(`query($id: ID!) { user(id: $id) { email } }`, { id: alice.user.id }, bob.accessToken);
    expect(codeOf(res)).toBe('NOT_FOUND');
    const entities = await stack.query(`query($id: ID!) { user(id: $id) { id } }`, { id: alice.user.id }, adminToken);
    expect(ok(entities).user.id).toBe(alice.user.id);
  });

  it('refuses a direct request to a subgraph without the router’s proof', async () => {
    for (const url of Object.values(stack.subgraphUrls)) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(res.status).toBe(401);
    }
  });
});
