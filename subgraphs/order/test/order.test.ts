import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductPriced } from '@shop/contracts';
import type { Identity } from '@shop/runtime';
import { createTestRun, envelope, eventually, subgraphRequest, TestPublisher, type GraphQLResponse } from '@shop/testing';
import { createOrderApp, type OrderApp } from '../src/app';
import { parseConfig } from '../src/config';
import { seedOrders } from '../src/seed';

const run = createTestRun();
let app: OrderApp;
let publisher: TestPublisher;

const alice: Identity = { userId: randomUUID(), role: 'CUSTOMER' };
const bob: Identity = { userId: randomUUID(), role: 'CUSTOMER' };
const admin: Identity = { userId: randomUUID(), role: 'ADMIN' };

const priced = (name: string, priceCents: number, version = 1): ProductPriced => ({
  productId: randomUUID(),
  sku: `SKU-${name.toUpperCase()}`,
  name,
  priceCents,
  version,
});
const mug = priced('Mug', 250);
const lamp = priced('Lamp', 1000);
const clock = priced('Clock', 399);

const ORDER_FIELDS = `id status total { amountCents currency } user { id } createdAt updatedAt
  items { product { id } productName quantity unitPrice { amountCents currency } lineTotal { amountCents } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const MY_ORDERS = `query($first: Int, $after: String) {
  myOrders(first: $first, after: $after) { edges { cursor node { id createdAt items { productName quantity } } } pageInfo { hasNextPage endCursor } }
}`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Order { id status }
  ... on User { id orders(first: 5) { edges { node { id } } } }
} }`;

type Line = { productId: string; quantity: number };
const place = (identity: Identity | null, input: { idempotencyKey?: string; items: Line[]; expectedTotalCents?: number }) =>
  subgraphRequest(app.url, PLACE, { input: { ...input, idempotencyKey: input.idempotencyKey ?? randomUUID() } }, identity);
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

async function placed(identity: Identity, items: Line[], key?: string) {
  const res = await place(identity, { items, idempotencyKey: key });
  expect(res.errors).toBeUndefined();
  return res.data.placeOrder as { id: string; status: string; total: { amountCents: number } };
}

const statusOf = async (id: string) => (await subgraphRequest(app.url, ORDER, { id }, admin)).data?.order?.status;
const priceOf = async (productId: string) =>
  (await app.deps.db.selectFrom('product_prices').select('price_cents').where('product_id', '=', productId).executeTakeFirst())?.price_cents;
const outboxFor = (orderId: string) =>
  app.deps.db.selectFrom('outbox').select(['type', 'payload']).where('aggregate_id', '=', orderId).orderBy('occurred_at').execute();
const ordersWithKey = async (userId: string, key: string) =>
  (await app.deps.db.selectFrom('orders').select('id').where('user_id', '=', userId).where('idempotency_key', '=', key).execute()).length;
const applied = async (eventId: string) =>
  expect(await app.deps.db.selectFrom('inbox').select('event_id').where('event_id', '=', eventId).executeTakeFirst()).toBeDefined();

async function publishPrice(type: 'product.created' | 'product.price-changed', product: ProductPriced) {
  const event = envelope(type, product.productId, product, product.version);
  await publisher.publish(event);
  return event;
}

async function publishVerdict(type: 'stock.reserved' | 'stock.reservation-failed', orderId: string, userId: string) {
  const lines = [{ productId: mug.productId, quantity: 1 }];
  const event =
    type === 'stock.reserved'
      ? envelope(type, orderId, { orderId, userId, lines })
      : envelope(type, orderId, { orderId, userId, lines, reason: `insufficient stock for product ${mug.productId}` });
  await publisher.publish(event);
  return event;
}

beforeAll(async () => {
  app = await createOrderApp(parseConfig(run.env('order')));
  publisher = new TestPublisher(run.topology);
  for (const product of [mug, lamp, clock]) await publishPrice('product.created', product);
  await eventually(async () => expect(await Promise.all([mug, lamp, clock].map((p) => priceOf(p.productId)))).toEqual([250, 1000, 399]));
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

describe('price projection', () => {
  it('takes newer prices from product events and ignores a stale version', async () => {
    const kettle = priced('Kettle', 500);
    await publishPrice('product.created', kettle);
    await publishPrice('product.price-changed', { ...kettle, name: 'Kettle XL', priceCents: 700, version: 3 });
    await eventually(async () => expect(await priceOf(kettle.productId)).toBe(700));
    const stale = await publishPrice('product.price-changed', { ...kettle, priceCents: 999, version: 2 });
    await eventually(() => applied(stale.id));
    expect(await priceOf(kettle.productId)).toBe(700);
    const order = await placed(alice, [{ productId: kettle.productId, quantity: 1 }]);
    expect(order.total.amountCents).toBe(700);
  });

  it('applies a redelivered event (same id) once', async () => {
    const radio = priced('Radio', 1500);
    const first = await publishPrice('product.created', radio);
    await eventually(async () => expect(await priceOf(radio.productId)).toBe(1500));
    // Same event id, different body: had it run again, the price would now be 9000.
    await publisher.publish({ ...first, version: 9, payload: { ...radio, priceCents: 9000, version: 9 } });
    const metrics = app.url.replace(/\/graphql$/, '/metrics');
    await eventually(async () => {
      const text = await (await fetch(metrics)).text();
      expect(text).toMatch(/events_consumed_total\{[^}]*type="product.created"[^}]*outcome="duplicate"[^}]*\} [1-9]/);
    });
    expect(await priceOf(radio.productId)).toBe(1500);
  });
});

describe('placeOrder', () => {
  it('places a PENDING order priced from the projection and records order.placed', async () => {
    const res = await place(alice, {
      items: [
        { productId: mug.productId, quantity: 2 },
        { productId: lamp.productId, quantity: 1 },
      ],
    });
    expect(res.errors).toBeUndefined();
    const order = res.data.placeOrder;
    expect(order).toMatchObject({
      status: 'PENDING',
      total: { amountCents: 1500, currency: 'USD' },
      user: { id: alice.userId },
      items: [
        { product: { id: mug.productId }, productName: 'Mug', quantity: 2, unitPrice: { amountCents: 250, currency: 'USD' }, lineTotal: { amountCents: 500 } },
        {
          product: { id: lamp.productId },
          productName: 'Lamp',
          quantity: 1,
          unitPrice: { amountCents: 1000, currency: 'USD' },
          lineTotal: { amountCents: 1000 },
        },
      ],
    });
    expect(await outboxFor(order.id)).toEqual([
      {
        type: 'order.placed',
        payload: {
          orderId: order.id,
          userId: alice.userId,
          lines: [
            { productId: mug.productId, quantity: 2 },
            { productId: lamp.productId, quantity: 1 },
          ],
        },
      },
    ]);
  });

  it('needs a signed-in user', async () => {
    const res = await place(null, { items: [{ productId: mug.productId, quantity: 1 }] });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('returns the same order for the same key and items, in any line order', async () => {
    const key = `same-${randomUUID()}`;
    const first = await placed(
      alice,
      [
        { productId: mug.productId, quantity: 1 },
        { productId: clock.productId, quantity: 3 },
      ],
      key,
    );
    const again = await placed(
      alice,
      [
        { productId: clock.productId, quantity: 3 },
        { productId: mug.productId, quantity: 1 },
      ],
      key,
    );
    expect(again.id).toBe(first.id);
    expect(await ordersWithKey(alice.userId, key)).toBe(1);
    expect((await outboxFor(first.id)).filter((e) => e.type === 'order.placed')).toHaveLength(1);
  });

  it('lets another user use the same key for their own order', async () => {
    const key = `shared-${randomUUID()}`;
    const mine = await placed(alice, [{ productId: mug.productId, quantity: 1 }], key);
    const theirs = await placed(bob, [{ productId: mug.productId, quantity: 1 }], key);
    expect(theirs.id).not.toBe(mine.id);
  });

  it('makes one order when the same key arrives five times at once', async () => {
    const key = `race-${randomUUID()}`;
    const items = [{ productId: lamp.productId, quantity: 2 }];
    const results = await Promise.all(Array.from({ length: 5 }, () => place(alice, { idempotencyKey: key, items })));
    for (const res of results) expect(res.errors).toBeUndefined();
    const ids = new Set(results.map((res) => res.data.placeOrder.id));
    expect(ids.size).toBe(1);
    expect(await ordersWithKey(alice.userId, key)).toBe(1);
    expect(await outboxFor([...ids][0]!)).toHaveLength(1);
  });

  it('refuses the same key with different items as a CONFLICT', async () => {
    const key = `conflict-${randomUUID()}`;
    const first = await placed(alice, [{ productId: mug.productId, quantity: 1 }], key);
    const res = await place(alice, { idempotencyKey: key, items: [{ productId: mug.productId, quantity: 2 }] });
    expect(codeOf(res)).toBe('CONFLICT');
    expect(await ordersWithKey(alice.userId, key)).toBe(1);
    expect(await statusOf(first.id)).toBe('PENDING');
  });

  it('refuses a stale expectedTotalCents with CONFLICT and places nothing', async () => {
    const key = `expected-${randomUUID()}`;
    const items = [{ productId: clock.productId, quantity: 2 }];
    const stale = await place(alice, { idempotencyKey: key, items, expectedTotalCents: 700 });
    expect(codeOf(stale)).toBe('CONFLICT');
    expect(await ordersWithKey(alice.userId, key)).toBe(0);
    const fresh = await place(alice, { idempotencyKey: key, items, expectedTotalCents: 798 });
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data.placeOrder.total.amountCents).toBe(798);
  });

  it('keeps the placed order for its key after a price change, and prices new orders anew', async () => {
    const vase = priced('Vase', 400);
    await publishPrice('product.created', vase);
    await eventually(async () => expect(await priceOf(vase.productId)).toBe(400));
    const key = `reprice-${randomUUID()}`;
    const items = [{ productId: vase.productId, quantity: 1 }];
    const before = await placed(alice, items, key);
    await publishPrice('product.price-changed', { ...vase, priceCents: 450, version: 2 });
    await eventually(async () => expect(await priceOf(vase.productId)).toBe(450));
    const retried = await placed(alice, items, key);
    expect(retried).toMatchObject({ id: before.id, total: { amountCents: 400 } });
    expect((await placed(alice, items)).total.amountCents).toBe(450);
  });

  it('refuses a total larger than GraphQL can carry with BAD_USER_INPUT', async () => {
    const piano = priced('Piano', 5_000_000);
    await publishPrice('product.created', piano);
    await eventually(async () => expect(await priceOf(piano.productId)).toBe(5_000_000));
    const res = await place(alice, { items: [{ productId: piano.productId, quantity: 999 }] });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['no items', { items: [] }],
    [
      'a duplicate line',
      {
        items: [
          { productId: 'MUG', quantity: 1 },
          { productId: 'MUG', quantity: 2 },
        ],
      },
    ],
    ['quantity 0', { items: [{ productId: 'MUG', quantity: 0 }] }],
    ['quantity 1000', { items: [{ productId: 'MUG', quantity: 1000 }] }],
    ['an unknown product', { items: [{ productId: randomUUID(), quantity: 1 }] }],
    ['a malformed product id', { items: [{ productId: 'mug-1', quantity: 1 }] }],
    ['a key of 101 characters', { idempotencyKey: 'k'.repeat(101), items: [{ productId: 'MUG', quantity: 1 }] }],
    ['an empty key', { idempotencyKey: '', items: [{ productId: 'MUG', quantity: 1 }] }],
  ])('refuses %s with BAD_USER_INPUT and places nothing', async (_name, input) => {
    const count = async () => (await app.deps.db.selectFrom('orders').select('id').where('user_id', '=', bob.userId).execute()).length;
    const before = await count();
    const items = input.items.map((item) => ({ ...item, productId: item.productId === 'MUG' ? mug.productId : item.productId }));
    const res = await place(bob, { ...input, items });
    expect(res.data).toBeNull();
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(await count()).toBe(before);
  });
});

describe('order states', () => {
  it('confirms a pending order when stock is reserved', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    await publishVerdict('stock.reserved', order.id, alice.userId);
    await eventually(async () => expect(await statusOf(order.id)).toBe('CONFIRMED'));
  });

  it('rejects a pending order when the reservation failed', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    await publishVerdict('stock.reservation-failed', order.id, alice.userId);
    await eventually(async () => expect(await statusOf(order.id)).toBe('REJECTED'));
  });

  it('leaves a cancelled order cancelled when a late stock.reserved arrives', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    const cancelled = await subgraphRequest(app.url, CANCEL, { id: order.id }, alice);
    expect(cancelled.data.cancelOrder.status).toBe('CANCELLED');
    const late = await publishVerdict('stock.reserved', order.id, alice.userId);
    await eventually(() => applied(late.id));
    expect(await statusOf(order.id)).toBe('CANCELLED');
  });

  it('does not let a late reservation failure move a confirmed order', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    await publishVerdict('stock.reserved', order.id, alice.userId);
    await eventually(async () => expect(await statusOf(order.id)).toBe('CONFIRMED'));
    const late = await publishVerdict('stock.reservation-failed', order.id, alice.userId);
    await eventually(() => applied(late.id));
    expect(await statusOf(order.id)).toBe('CONFIRMED');
  });
});

describe('cancelOrder', () => {
  it('cancels a confirmed order once: one order.cancelled event however often it is asked', async () => {
    const order = await placed(alice, [{ productId: lamp.productId, quantity: 1 }]);
    await publishVerdict('stock.reserved', order.id, alice.userId);
    await eventually(async () => expect(await statusOf(order.id)).toBe('CONFIRMED'));
    const first = await subgraphRequest(app.url, CANCEL, { id: order.id }, alice);
    expect(first.data.cancelOrder).toEqual({ id: order.id, status: 'CANCELLED' });
    const again = await subgraphRequest(app.url, CANCEL, { id: order.id }, alice);
    expect(again.errors).toBeUndefined();
    expect(again.data.cancelOrder).toEqual({ id: order.id, status: 'CANCELLED' });
    const cancels = (await outboxFor(order.id)).filter((e) => e.type === 'order.cancelled');
    expect(cancels).toEqual([{ type: 'order.cancelled', payload: { orderId: order.id, userId: alice.userId } }]);
  });

  it('refuses to cancel a rejected order with CONFLICT', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    await publishVerdict('stock.reservation-failed', order.id, alice.userId);
    await eventually(async () => expect(await statusOf(order.id)).toBe('REJECTED'));
    const res = await subgraphRequest(app.url, CANCEL, { id: order.id }, alice);
    expect(codeOf(res)).toBe('CONFLICT');
    expect(await statusOf(order.id)).toBe('REJECTED');
  });

  it('lets an admin cancel anyone’s order', async () => {
    const order = await placed(alice, [{ productId: mug.productId, quantity: 1 }]);
    const res = await subgraphRequest(app.url, CANCEL, { id: order.id }, admin);
    expect(res.data.cancelOrder.status).toBe('CANCELLED');
  });

  it('answers bad ids with BAD_USER_INPUT or NOT_FOUND, and anonymous callers with UNAUTHENTICATED', async () => {
    expect(codeOf(await subgraphRequest(app.url, CANCEL, { id: 'nope' }, alice))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraphRequest(app.url, CANCEL, { id: randomUUID() }, alice))).toBe('NOT_FOUND');
    expect(codeOf(await subgraphRequest(app.url, CANCEL, { id: randomUUID() }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('who may see an order', () => {
  let order: { id: string };
  beforeAll(async () => {
    order = await placed(alice, [{ productId: clock.productId, quantity: 1 }]);
  });

  it('shows the order to its owner and to an admin', async () => {
    for (const identity of [alice, admin]) {
      const res = await subgraphRequest(app.url, ORDER, { id: order.id }, identity);
      expect(res.errors).toBeUndefined();
      expect(res.data.order).toMatchObject({ id: order.id, user: { id: alice.userId }, items: [{ productName: 'Clock', quantity: 1 }] });
    }
  });

  it('gives another user null with NOT_FOUND, as for an id that does not exist', async () => {
    for (const [identity, id] of [
      [bob, order.id],
      [alice, randomUUID()],
      [null, order.id],
    ] as const) {
      const res = await subgraphRequest(app.url, ORDER, { id }, identity);
      expect(res.data.order).toBeNull();
      expect(codeOf(res)).toBe('NOT_FOUND');
    }
    expect(codeOf(await subgraphRequest(app.url, ORDER, { id: '42' }, alice))).toBe('BAD_USER_INPUT');
  });

  it("refuses another user's cancel with FORBIDDEN and leaves the order alone", async () => {
    const res = await subgraphRequest(app.url, CANCEL, { id: order.id }, bob);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await statusOf(order.id)).toBe('PENDING');
  });

  it('resolves Order entities only for the owner or an admin, and User.orders is FORBIDDEN to others', async () => {
    const representations = [{ __typename: 'Order', id: order.id }];
    expect((await subgraphRequest(app.url, ENTITIES, { r: representations }, alice)).data._entities).toEqual([{ id: order.id, status: 'PENDING' }]);
    expect((await subgraphRequest(app.url, ENTITIES, { r: representations }, admin)).data._entities).toEqual([{ id: order.id, status: 'PENDING' }]);
    expect((await subgraphRequest(app.url, ENTITIES, { r: representations }, bob)).data._entities).toEqual([null]);

    const user = [{ __typename: 'User', id: alice.userId }];
    const mine = await subgraphRequest(app.url, ENTITIES, { r: user }, alice);
    expect(mine.errors).toBeUndefined();
    expect(mine.data._entities[0].orders.edges.length).toBeGreaterThan(0);
    const theirs = await subgraphRequest(app.url, ENTITIES, { r: user }, bob);
    expect(codeOf(theirs)).toBe('FORBIDDEN');
    expect(theirs.data._entities[0].orders).toBeNull();
  });
});

describe('myOrders', () => {
  const carol: Identity = { userId: randomUUID(), role: 'CUSTOMER' };
  const myOrders = (variables: { first?: number; after?: string | null }, identity: Identity | null = carol) =>
    subgraphRequest(app.url, MY_ORDERS, variables, identity);

  beforeAll(async () => {
    await seedOrders(app.deps.db, { userIds: [carol.userId, bob.userId], products: [mug, lamp, clock], ordersPerUser: 25, linesPerOrder: 3, batchSize: 10 });
  });

  it('seeds CONFIRMED historic orders without events', async () => {
    const rows = await app.deps.db.selectFrom('orders').select(['id', 'status', 'total_cents']).where('user_id', '=', carol.userId).execute();
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['CONFIRMED']));
    const events = await app.deps.db
      .selectFrom('outbox')
      .select('id')
      .where(
        'aggregate_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    expect(events).toHaveLength(0);
  });

  it('pages newest first through every order of the caller, and only theirs', async () => {
    const seen: Array<{ id: string; createdAt: string; items: unknown[] }> = [];
    let after: string | null = null;
    const sizes: number[] = [];
    for (;;) {
      const res: GraphQLResponse = await myOrders({ first: 10, after });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo } = res.data.myOrders;
      sizes.push(edges.length);
      seen.push(...edges.map((e: { node: (typeof seen)[number] }) => e.node));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(seen.map((o) => o.id)).size).toBe(25);
    const times = seen.map((o) => Date.parse(o.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const order of seen) expect(order.items).toHaveLength(3);
    const others = await app.deps.db.selectFrom('orders').select('id').where('user_id', '=', bob.userId).execute();
    expect(seen.some((o) => others.some((r) => r.id === o.id))).toBe(false);
  });

  it('costs the same number of SQL statements for 2 orders with lines as for 20', async () => {
    const small = await myOrders({ first: 2 });
    const large = await myOrders({ first: 20 });
    expect(large.data.myOrders.edges).toHaveLength(20);
    expect(Number(large.headers.get('x-sql-statements'))).toBe(Number(small.headers.get('x-sql-statements')));
    expect(Number(large.headers.get('x-sql-statements'))).toBeLessThanOrEqual(2);
  });

  it('refuses first outside 1..100 and a forged cursor with BAD_USER_INPUT', async () => {
    expect(codeOf(await myOrders({ first: 101 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await myOrders({ first: 0 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await myOrders({ after: 'bm90IGEgY3Vyc29y' }))).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(`${new Date().toISOString()}|not-a-uuid`).toString('base64url');
    expect(codeOf(await myOrders({ after: forged }))).toBe('BAD_USER_INPUT');
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const res = await myOrders({ first: 5 }, null);
    expect(res.data.myOrders).toBeNull();
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});

describe('router proof', () => {
  it('refuses a request that was not signed by the router', async () => {
    const body = JSON.stringify({ query: '{ myOrders { edges { cursor } } }' });
    const unsigned = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    const forged = await subgraphRequest(app.url, '{ myOrders { edges { cursor } } }', {}, alice, 'another-secret-0123456789abcdef-0123456789');
    expect(forged.status).toBe(401);
  });
});
