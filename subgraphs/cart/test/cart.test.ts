import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@shop/runtime/subgraph';
import { createTestRun, eventually, subgraphRequest } from '@shop/testing';
import { createCartApp, type CartApp } from '../src/app';
import { parseConfig } from '../src/config';
import { seedCarts, upsertProductPrices } from '../src/seed';
import { CART, addToCart, codeOf, customer, myCart, pricedProduct, quantities, setQuantity } from './helpers';

const run = createTestRun();
let app: CartApp;

/** Known to the cart: written to the projection as the product events would. */
async function knownProducts(...prices: number[]) {
  const products = prices.map((cents) => pricedProduct(cents));
  await upsertProductPrices(app.deps.db, products);
  return products;
}

beforeAll(async () => {
  app = await createCartApp(parseConfig(run.env('cart')));
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

describe('myCart', () => {
  it('is an empty cart at first, with an id that stays the same for the user', async () => {
    const alice = customer();
    const cart = await myCart(app, alice);
    expect(cart).toMatchObject({ items: [], totalQuantity: 0, subtotal: { amountCents: 0, currency: 'USD' }, updatedAt: null });
    const [p] = await knownProducts(500);
    const res = await addToCart(app, alice, p!.productId);
    expect(res.data.addToCart.id).toBe(cart.id);
    expect((await myCart(app, customer())).id).not.toBe(cart.id);
  });

  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    const res = await subgraphRequest(app.url, `{ myCart { id } }`, {}, null);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data?.myCart ?? null).toBeNull();
  });

  it('costs the same two SQL statements for a cart of 1 line and of 50 lines', async () => {
    const products = await knownProducts(...Array.from({ length: 50 }, (_, i) => 100 + i));
    const small = customer();
    const large = customer();
    await seedCarts(app.deps.db, { userIds: [small.userId], products: products.slice(0, 1), linesPerCart: 1 });
    await seedCarts(app.deps.db, { userIds: [large.userId], products, linesPerCart: 50 });
    const statements = async (caller: typeof small) => {
      const res = await subgraphRequest(app.url, `{ myCart { ${CART} } }`, {}, caller);
      expect(res.errors).toBeUndefined();
      return { lines: res.data.myCart.items.length, sql: Number(res.headers.get('x-sql-statements')) };
    };
    expect(await statements(small)).toEqual({ lines: 1, sql: 2 });
    expect(await statements(large)).toEqual({ lines: 50, sql: 2 });
  });
});

describe('addToCart', () => {
  it('adds lines priced from the projection, accumulates a repeated product and totals the cart', async () => {
    const alice = customer();
    const [mug, lamp] = await knownProducts(1250, 4999);
    const first = await addToCart(app, alice, mug!.productId);
    expect(first.errors).toBeUndefined();
    expect(first.data.addToCart.items).toEqual([
      { product: { id: mug!.productId }, quantity: 1, unitPrice: { amountCents: 1250, currency: 'USD' }, lineTotal: { amountCents: 1250, currency: 'USD' } },
    ]);
    await addToCart(app, alice, lamp!.productId, 2);
    const res = await addToCart(app, alice, mug!.productId.toUpperCase(), 3);
    expect(res.errors).toBeUndefined();
    const cart = res.data.addToCart;
    expect(quantities(cart)).toEqual({ [mug!.productId]: 4, [lamp!.productId]: 2 });
    expect(cart.items.map((i: any) => i.lineTotal.amountCents)).toEqual([5000, 9998]);
    expect(cart.totalQuantity).toBe(6);
    expect(cart.subtotal).toEqual({ amountCents: 14_998, currency: 'USD' });
    expect(Date.parse(cart.updatedAt)).not.toBeNaN();
    expect(await myCart(app, alice)).toEqual(cart);
  });

  it('refuses a product the cart does not know (yet) with BAD_USER_INPUT', async () => {
    const res = await addToCart(app, customer(), randomUUID());
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/not known \(yet\)/);
  });

  it('refuses a malformed product id with BAD_USER_INPUT', async () => {
    expect(codeOf(await addToCart(app, customer(), 'not-an-id'))).toBe('BAD_USER_INPUT');
  });

  it.each([0, -1, 1000])('refuses quantity %i with BAD_USER_INPUT and leaves the cart as it was', async (quantity) => {
    const alice = customer();
    const [p] = await knownProducts(100);
    expect(codeOf(await addToCart(app, alice, p!.productId, quantity))).toBe('BAD_USER_INPUT');
    expect((await myCart(app, alice)).items).toEqual([]);
  });

  it('refuses an addition that would take a line past 999 units', async () => {
    const alice = customer();
    const [p] = await knownProducts(100);
    expect((await addToCart(app, alice, p!.productId, 990)).errors).toBeUndefined();
    expect(codeOf(await addToCart(app, alice, p!.productId, 10))).toBe('BAD_USER_INPUT');
    expect((await addToCart(app, alice, p!.productId, 9)).data.addToCart.totalQuantity).toBe(999);
  });

  it('refuses a 101st line with BAD_USER_INPUT but still adds to an existing line', async () => {
    const alice = customer();
    const products = await knownProducts(...Array.from({ length: 101 }, () => 10));
    await seedCarts(app.deps.db, { userIds: [alice.userId], products: products.slice(0, 100), linesPerCart: 100 });
    const res = await addToCart(app, alice, products[100]!.productId);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/at most 100/);
    expect((await addToCart(app, alice, products[0]!.productId)).errors).toBeUndefined();
    expect((await myCart(app, alice)).items).toHaveLength(100);
  });

  it('keeps the 100-line bound when several additions race for the last free lines', async () => {
    const alice = customer();
    const products = await knownProducts(...Array.from({ length: 104 }, () => 10));
    await seedCarts(app.deps.db, { userIds: [alice.userId], products: products.slice(0, 98), linesPerCart: 98 });
    const env = run.env('cart');
    const observer = createDatabase<any>({ url: env.POSTGRES_URL!, database: env.POSTGRES_DB!, poolSize: 2 });
    try {
      // Holding back every line insert lets all six additions read the cart before any writes,
      // which is the race; only the cart lock makes them take turns.
      const results = await observer.transaction().execute(async (trx) => {
        await sql`lock table cart_lines in share mode`.execute(trx);
        const racing = Promise.all(products.slice(98).map((p) => addToCart(app, alice, p.productId)));
        await eventually(async () => {
          const { rows } = await sql<{ waiting: number }>`
            select count(*)::int as waiting from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`.execute(observer);
          expect(rows[0]!.waiting).toBe(6);
        });
        return { racing };
      });
      const settled = await results.racing;
      expect(settled.filter((r) => r.errors === undefined)).toHaveLength(2);
      expect(settled.filter((r) => codeOf(r) === 'BAD_USER_INPUT')).toHaveLength(4);
    } finally {
      await observer.destroy();
    }
    expect((await myCart(app, alice)).items).toHaveLength(100);
  });

  it('refuses a line whose total GraphQL Int cannot carry', async () => {
    const alice = customer();
    const [p] = await knownProducts(10_000_000);
    expect(codeOf(await addToCart(app, alice, p!.productId, 215))).toBe('BAD_USER_INPUT');
    const ok = await addToCart(app, alice, p!.productId, 214);
    expect(ok.data.addToCart.subtotal.amountCents).toBe(2_140_000_000);
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const [p] = await knownProducts(100);
    expect(codeOf(await addToCart(app, null, p!.productId))).toBe('UNAUTHENTICATED');
  });
});

describe('setCartItemQuantity, removeFromCart and clearCart', () => {
  it('sets a quantity, adds a missing line, and removes a line at 0', async () => {
    const alice = customer();
    const [a, b] = await knownProducts(300, 700);
    await addToCart(app, alice, a!.productId, 5);
    const set = await setQuantity(app, alice, a!.productId, 2);
    expect(quantities(set.data.setCartItemQuantity)).toEqual({ [a!.productId]: 2 });
    const added = await setQuantity(app, alice, b!.productId, 3);
    expect(added.data.setCartItemQuantity).toMatchObject({ totalQuantity: 5, subtotal: { amountCents: 2700 } });
    const removed = await setQuantity(app, alice, a!.productId, 0);
    expect(quantities(removed.data.setCartItemQuantity)).toEqual({ [b!.productId]: 3 });
    expect(quantities(await myCart(app, alice))).toEqual({ [b!.productId]: 3 });
  });

  it('refuses quantities outside 0..999, unknown products and malformed ids', async () => {
    const alice = customer();
    const [a] = await knownProducts(300);
    expect(codeOf(await setQuantity(app, alice, a!.productId, -1))).toBe('BAD_USER_INPUT');
    expect(codeOf(await setQuantity(app, alice, a!.productId, 1000))).toBe('BAD_USER_INPUT');
    expect(codeOf(await setQuantity(app, alice, randomUUID(), 1))).toBe('BAD_USER_INPUT');
    expect(codeOf(await setQuantity(app, alice, 'nope', 0))).toBe('BAD_USER_INPUT');
    expect(codeOf(await setQuantity(app, null, a!.productId, 1))).toBe('UNAUTHENTICATED');
  });

  it('removeFromCart drops one line and leaves the others; clearCart empties the cart', async () => {
    const alice = customer();
    const bob = customer();
    const [a, b] = await knownProducts(300, 700);
    await addToCart(app, alice, a!.productId, 1);
    await addToCart(app, alice, b!.productId, 2);
    await addToCart(app, bob, a!.productId, 4);
    const removed = await subgraphRequest(app.url, `mutation($id: ID!) { removeFromCart(productId: $id) { ${CART} } }`, { id: a!.productId }, alice);
    expect(quantities(removed.data.removeFromCart)).toEqual({ [b!.productId]: 2 });
    expect(codeOf(await subgraphRequest(app.url, `mutation { removeFromCart(productId: "x") { id } }`, {}, alice))).toBe('BAD_USER_INPUT');

    const cleared = await subgraphRequest(app.url, `mutation { clearCart { ${CART} } }`, {}, alice);
    expect(cleared.data.clearCart).toMatchObject({ items: [], totalQuantity: 0, subtotal: { amountCents: 0 } });
    expect(cleared.data.clearCart.updatedAt).not.toBeNull();
    expect(quantities(await myCart(app, bob))).toEqual({ [a!.productId]: 4 });
    expect(codeOf(await subgraphRequest(app.url, `mutation { clearCart { id } }`, {}, null))).toBe('UNAUTHENTICATED');
  });
});

describe('seedCarts', () => {
  it('writes carts of the given size for every user and never lowers a newer projected price', async () => {
    const users = [customer(), customer(), customer()];
    const products = await knownProducts(100, 200, 300, 400);
    const stale = products.map((p) => ({ ...p, priceCents: 1, version: 0 }));
    const progress: number[] = [];
    const result = await seedCarts(app.deps.db, {
      userIds: users.map((u) => u.userId),
      products: stale,
      linesPerCart: 3,
      usersPerBatch: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(result).toEqual({ carts: 3, lines: 9 });
    expect(progress).toEqual([2, 3]);
    for (const user of users) {
      const cart = await myCart(app, user);
      expect(cart.items).toHaveLength(3);
      expect(cart.items.every((i) => i.unitPrice.amountCents >= 100)).toBe(true);
    }
  });
});

describe('router signature', () => {
  it('refuses a request without the router signature with 401', async () => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-user-id': randomUUID(), 'x-shop-user-role': 'ADMIN' },
      body: JSON.stringify({ query: '{ myCart { id } }' }),
    });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).not.toContain('myCart');
  });

  it('refuses a request signed with another secret with 401', async () => {
    const res = await subgraphRequest(app.url, `{ myCart { id } }`, {}, customer(), 'not-the-router-secret-0123456789abcdef');
    expect(res.status).toBe(401);
  });
});
