import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, subgraphRequest } from '@shop/testing';
import { createCartApp, type CartApp } from '../src/app';
import { parseConfig } from '../src/config';
import { seedCarts, upsertProductPrices } from '../src/seed';
import { type Caller, addToCart, admin, codeOf, customer, pricedProduct } from './helpers';

const run = createTestRun();
let app: CartApp;

// The query the router sends to resolve User.cart for users another subgraph returned.
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id cart { id totalQuantity subtotal { amountCents } items { product { id } quantity } } }
  }
}`;

const usersCart = (ids: string[], caller: Caller) =>
  subgraphRequest(app.url, ENTITIES, { representations: ids.map((id) => ({ __typename: 'User', id })) }, caller);

beforeAll(async () => {
  app = await createCartApp(parseConfig(run.env('cart')));
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

describe('User.cart through _entities', () => {
  it('shows the owner their cart', async () => {
    const alice = customer();
    const product = pricedProduct(250);
    await upsertProductPrices(app.deps.db, [product]);
    await addToCart(app, alice, product.productId, 4);
    const res = await usersCart([alice.userId], alice);
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      {
        id: alice.userId,
        cart: { id: expect.any(String), totalQuantity: 4, subtotal: { amountCents: 1000 }, items: [{ product: { id: product.productId }, quantity: 4 }] },
      },
    ]);
  });

  it('shows an admin any user cart, many users for the same two SQL statements', async () => {
    const users = [customer(), customer(), customer(), customer()];
    const products = [pricedProduct(10), pricedProduct(20), pricedProduct(30), pricedProduct(40), pricedProduct(50)];
    await seedCarts(app.deps.db, { userIds: users.map((u) => u.userId), products, linesPerCart: 3 });
    const res = await usersCart(
      users.map((u) => u.userId),
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((u: any) => [u.id, u.cart.items.length])).toEqual(users.map((u) => [u.userId, 3]));
    expect(Number(res.headers.get('x-sql-statements'))).toBe(2);
  });

  it('is FORBIDDEN for another user and UNAUTHENTICATED for an anonymous caller', async () => {
    const alice = customer();
    const product = pricedProduct(250);
    await upsertProductPrices(app.deps.db, [product]);
    await addToCart(app, alice, product.productId, 1);

    const asBob = await usersCart([alice.userId], customer());
    expect(codeOf(asBob)).toBe('FORBIDDEN');
    expect(asBob.data._entities).toEqual([{ id: alice.userId, cart: null }]);

    const anonymous = await usersCart([alice.userId], null);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    expect(anonymous.data._entities[0].cart).toBeNull();
  });

  it('returns an empty cart for a user who never had one', async () => {
    const carol = customer();
    const res = await usersCart([carol.userId], carol);
    expect(res.data._entities[0].cart).toMatchObject({ totalQuantity: 0, items: [] });
  });
});
