import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductPriced } from '@shop/contracts';
import { TestPublisher, createTestRun, envelope, eventually } from '@shop/testing';
import { createCartApp, type CartApp } from '../src/app';
import { parseConfig } from '../src/config';
import { addToCart, codeOf, customer, myCart, pricedProduct, quantities } from './helpers';

const run = createTestRun();
let app: CartApp;
let publisher: TestPublisher;

const projected = (productId: string) => app.deps.db.selectFrom('product_prices').selectAll().where('product_id', '=', productId).executeTakeFirst();
const applied = async (eventId: string) =>
  (await app.deps.db.selectFrom('inbox').select('event_id').where('event_id', '=', eventId).executeTakeFirst()) !== undefined;

/** How many deliveries of an already applied event the consumer acknowledged untouched. */
const duplicates = async (type: string) =>
  (await app.deps.metrics.eventsConsumed.get()).values.find((v) => v.labels.type === type && v.labels.outcome === 'duplicate')?.value ?? 0;

/** Publishes a product event as the product subgraph's relay would, and waits until the cart applied it. */
async function publishPriced(type: 'product.created' | 'product.price-changed', product: ProductPriced) {
  const event = envelope(type, product.productId, product, product.version);
  await publisher.publish(event);
  await eventually(async () => expect(await applied(event.id)).toBe(true));
  return event;
}

beforeAll(async () => {
  app = await createCartApp(parseConfig(run.env('cart')));
  publisher = new TestPublisher(run.topology);
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

describe('price projection', () => {
  it('learns a product from product.created, after which it can go into a cart at that price', async () => {
    const alice = customer();
    const product = pricedProduct(1999);
    expect(codeOf(await addToCart(app, alice, product.productId))).toBe('BAD_USER_INPUT');
    await publishPriced('product.created', product);
    expect(await projected(product.productId)).toMatchObject({ sku: product.sku, name: product.name, price_cents: 1999, version: 1 });
    const res = await addToCart(app, alice, product.productId, 2);
    expect(res.errors).toBeUndefined();
    expect(res.data.addToCart.subtotal.amountCents).toBe(3998);
  });

  it('reprices carts on a newer product.price-changed', async () => {
    const alice = customer();
    const product = pricedProduct(1000);
    await publishPriced('product.created', product);
    await addToCart(app, alice, product.productId, 3);
    await publishPriced('product.price-changed', { ...product, name: 'Renamed', priceCents: 1500, version: 2 });
    const cart = await myCart(app, alice);
    expect(cart.items[0]!.unitPrice.amountCents).toBe(1500);
    expect(cart.subtotal.amountCents).toBe(4500);
    expect(await projected(product.productId)).toMatchObject({ name: 'Renamed', version: 2 });
  });

  it('ignores a stale or equal version, also when it arrives after a newer one', async () => {
    const product = pricedProduct(1000, 1);
    await publishPriced('product.price-changed', { ...product, priceCents: 3000, version: 3 });
    await publishPriced('product.created', product);
    await publishPriced('product.price-changed', { ...product, priceCents: 2000, version: 2 });
    await publishPriced('product.price-changed', { ...product, priceCents: 9999, version: 3 });
    expect(await projected(product.productId)).toMatchObject({ price_cents: 3000, version: 3 });
  });

  it('parks a malformed product event in the dead-letter queue without touching the projection', async () => {
    const productId = randomUUID();
    const bad = envelope('product.created', productId, { productId, sku: 'X', name: 'X', priceCents: -5, version: 1 });
    await publisher.publish(bad);
    const dead = await eventually(async () => {
      const bodies = await publisher.drainDeadLetters('cart');
      expect(bodies.length).toBeGreaterThan(0);
      return bodies;
    });
    expect(JSON.stringify(dead)).toContain(bad.id);
    expect(await projected(productId)).toBeUndefined();
  });
});

describe('stock.reserved', () => {
  async function cartWith(lines: Array<[ProductPriced, number]>) {
    const user = customer();
    for (const [product, quantity] of lines) {
      await publishPriced('product.created', product);
      expect((await addToCart(app, user, product.productId, quantity)).errors).toBeUndefined();
    }
    return user;
  }

  it('subtracts the ordered quantities: a line reaching 0 goes, products not in the cart are ignored', async () => {
    const [a, b, c] = [pricedProduct(100), pricedProduct(200), pricedProduct(300)];
    const alice = await cartWith([
      [a, 2],
      [b, 5],
      [c, 1],
    ]);
    const reserved = envelope('stock.reserved', randomUUID(), {
      orderId: randomUUID(),
      userId: alice.userId,
      lines: [
        { productId: a.productId, quantity: 2 },
        { productId: b.productId, quantity: 3 },
        { productId: c.productId, quantity: 4 },
        { productId: randomUUID(), quantity: 1 },
      ],
    });
    await publisher.publish(reserved);
    await eventually(async () => expect(await applied(reserved.id)).toBe(true));
    const cart = await myCart(app, alice);
    expect(quantities(cart)).toEqual({ [b.productId]: 2 });
    expect(cart.subtotal.amountCents).toBe(400);
  });

  it('applies a redelivered event (same event id) once', async () => {
    const a = pricedProduct(100);
    const alice = await cartWith([[a, 5]]);
    const reserved = envelope('stock.reserved', randomUUID(), {
      orderId: randomUUID(),
      userId: alice.userId,
      lines: [{ productId: a.productId, quantity: 2 }],
    });
    const before = await duplicates('stock.reserved');
    await publisher.publish(reserved);
    await publisher.publish(reserved);
    await eventually(async () => {
      expect(await applied(reserved.id)).toBe(true);
      expect(await duplicates('stock.reserved')).toBe(before + 1);
    });
    expect(quantities(await myCart(app, alice))).toEqual({ [a.productId]: 3 });
  });

  it("leaves other users' carts alone and creates no cart for a user without one", async () => {
    const a = pricedProduct(100);
    const bob = await cartWith([[a, 2]]);
    const nobody = customer();
    const reserved = envelope('stock.reserved', randomUUID(), {
      orderId: randomUUID(),
      userId: nobody.userId,
      lines: [{ productId: a.productId, quantity: 2 }],
    });
    await publisher.publish(reserved);
    await eventually(async () => expect(await applied(reserved.id)).toBe(true));
    expect(quantities(await myCart(app, bob))).toEqual({ [a.productId]: 2 });
    expect(await myCart(app, nobody)).toMatchObject({ items: [], updatedAt: null });
  });
});
