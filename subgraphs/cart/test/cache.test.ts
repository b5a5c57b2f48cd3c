import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, envelope, eventually, subgraphRequest, TestPublisher } from '@shop/testing';
import { createCartApp, type CartApp } from '../src/app';
import { parseConfig } from '../src/config';
import { seedCarts, upsertProductPrices } from '../src/seed';
import { CART, addToCart, codeOf, customer, myCart, pricedProduct } from './helpers';

/** The cart's Redis cache: statement counts cold and warm, invalidation, and per-user keys. */
const run = createTestRun();
let app: CartApp;
let publisher: TestPublisher;

beforeAll(async () => {
  app = await createCartApp(parseConfig(run.env('cart')));
  publisher = new TestPublisher(run.topology);
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

async function read(caller: ReturnType<typeof customer>) {
  const res = await subgraphRequest(app.url, `{ myCart { ${CART} } }`, {}, caller);
  expect(res.errors).toBeUndefined();
  return { cart: res.data.myCart, sql: Number(res.headers.get('x-sql-statements')) };
}

describe('cart cache', () => {
  it('reads a 50-line cart with two statements cold and none warm', async () => {
    const products = Array.from({ length: 50 }, (_, i) => pricedProduct(200 + i));
    await upsertProductPrices(app.deps.db, products);
    const shopper = customer();
    await seedCarts(app.deps.db, { userIds: [shopper.userId], products, linesPerCart: 50 });
    await app.deps.cacheGeneration.bump(); // cold: Redis and the in-process layer
    const cold = await read(shopper);
    expect(cold.cart.items).toHaveLength(50);
    expect(cold.sql).toBe(2);
    const warm = await read(shopper);
    expect(warm.cart).toEqual(cold.cart);
    expect(warm.sql).toBe(0);
  });

  it('shows an added line at once, and a price change once its event is handled', async () => {
    const [p] = [pricedProduct(1000)];
    await upsertProductPrices(app.deps.db, [p!]);
    const shopper = customer();
    await read(shopper); // warm (empty)
    await addToCart(app, shopper, p!.productId, 2);
    expect((await read(shopper)).cart.subtotal.amountCents).toBe(2000);
    const changed = envelope('product.price-changed', p!.productId, { ...p!, priceCents: 1500, version: 2 });
    await publisher.publish(changed);
    await publisher.publish(changed); // handled twice: still one change, still invalidated
    await eventually(async () => expect((await read(shopper)).cart.subtotal.amountCents).toBe(3000));
  });

  it('takes ordered lines out of a warm cart when stock is reserved', async () => {
    const p = pricedProduct(300);
    await upsertProductPrices(app.deps.db, [p]);
    const shopper = customer();
    await addToCart(app, shopper, p.productId, 5);
    await read(shopper); // warm
    const orderId = crypto.randomUUID();
    await publisher.publish(envelope('stock.reserved', orderId, { orderId, userId: shopper.userId, lines: [{ productId: p.productId, quantity: 2 }] }));
    await eventually(async () => expect((await read(shopper)).cart.totalQuantity).toBe(3));
  });

  it('never serves one user’s cached cart to another', async () => {
    const p = pricedProduct(700);
    await upsertProductPrices(app.deps.db, [p]);
    const [alice, bob] = [customer(), customer()];
    await addToCart(app, alice, p.productId, 1);
    await read(alice); // alice's cart is now cached
    expect((await myCart(app, bob)).items).toEqual([]);
    const entities = await subgraphRequest(
      app.url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { items { quantity } } } } }`,
      { r: [{ __typename: 'User', id: alice.userId }] },
      bob,
    );
    expect(codeOf(entities)).toBe('FORBIDDEN');
    expect(JSON.stringify(entities.data ?? null)).not.toContain('quantity');
  });
});
