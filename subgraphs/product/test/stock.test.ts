import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, envelope, eventually, TestPublisher } from '@shop/testing';
import { createProductApp, type ProductApp } from '../src/app';
import { parseConfig } from '../src/config';

const run = createTestRun();
let app: ProductApp;
let publisher: TestPublisher;
const userId = randomUUID();

beforeAll(async () => {
  app = await createProductApp(parseConfig(run.env('product')));
  publisher = new TestPublisher(run.topology);
});
afterAll(async () => {
  await publisher?.close();
  await app?.stop();
  await run.cleanup();
});

async function product(stock: number) {
  const p = await app.products.create({ sku: `STK-${randomUUID().slice(0, 8)}`, name: 'Stocked', description: '', category: 'stock', priceCents: 100, stock });
  return p.id;
}

const stockOf = async (id: string) => (await app.deps.db.selectFrom('products').select('stock').where('id', '=', id).executeTakeFirstOrThrow()).stock;

const outboxFor = (orderId: string) =>
  app.deps.db.selectFrom('outbox').select(['type', 'published_at']).where('aggregate_id', '=', orderId).orderBy('occurred_at').execute();

const reservation = (orderId: string) => app.deps.db.selectFrom('reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst();

describe('stock reservations', () => {
  it('reserves every line of a placed order and publishes stock.reserved', async () => {
    const [a, b] = [await product(5), await product(5)];
    const orderId = randomUUID();
    await publisher.publish(
      envelope('order.placed', orderId, {
        orderId,
        userId,
        lines: [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 5 },
        ],
      }),
    );
    await eventually(async () => expect((await reservation(orderId))?.status).toBe('held'));
    expect([await stockOf(a), await stockOf(b)]).toEqual([3, 0]);
    await eventually(async () => expect(await outboxFor(orderId)).toEqual([{ type: 'stock.reserved', published_at: expect.any(Date) }]));
  });

  it('reserves nothing when one line lacks stock, and publishes stock.reservation-failed', async () => {
    const [a, b] = [await product(5), await product(1)];
    const orderId = randomUUID();
    await publisher.publish(
      envelope('order.placed', orderId, {
        orderId,
        userId,
        lines: [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 2 },
        ],
      }),
    );
    await eventually(async () => expect((await reservation(orderId))?.status).toBe('failed'));
    expect([await stockOf(a), await stockOf(b)]).toEqual([5, 1]);
    expect((await outboxFor(orderId)).map((e) => e.type)).toEqual(['stock.reservation-failed']);
  });

  it('releases exactly the reserved stock once, however often the cancel arrives', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    await publisher.publish(envelope('order.placed', orderId, { orderId, userId, lines: [{ productId: a, quantity: 4 }] }));
    await eventually(async () => expect(await stockOf(a)).toBe(6));
    const cancel = envelope('order.cancelled', orderId, { orderId, userId });
    await publisher.publish(cancel);
    await publisher.publish(cancel); // redelivery of the same event
    await publisher.publish(envelope('order.cancelled', orderId, { orderId, userId })); // a second cancel event
    await eventually(async () => expect((await reservation(orderId))?.status).toBe('released'));
    await eventually(async () => {
      const inbox = await app.deps.db.selectFrom('inbox').select('event_id').where('type', '=', 'order.cancelled').execute();
      expect(inbox.length).toBeGreaterThanOrEqual(2);
    });
    expect(await stockOf(a)).toBe(10);
  });

  it('reserves nothing for an order whose cancel arrived first', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    await publisher.publish(envelope('order.cancelled', orderId, { orderId, userId }));
    await eventually(async () => expect((await reservation(orderId))?.status).toBe('cancelled'));
    await publisher.publish(envelope('order.placed', orderId, { orderId, userId, lines: [{ productId: a, quantity: 4 }] }));
    await eventually(async () => {
      const placed = await app.deps.db.selectFrom('inbox').select('event_id').where('type', '=', 'order.placed').execute();
      expect(placed.length).toBeGreaterThan(0);
    });
    expect(await stockOf(a)).toBe(10);
    expect(await outboxFor(orderId)).toEqual([]);
  });

  it('applies a redelivered order.placed once', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    const placed = envelope('order.placed', orderId, { orderId, userId, lines: [{ productId: a, quantity: 3 }] });
    await publisher.publish(placed);
    await publisher.publish(placed);
    await eventually(async () => expect(await stockOf(a)).toBe(7));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stockOf(a)).toBe(7);
    expect((await outboxFor(orderId)).map((e) => e.type)).toEqual(['stock.reserved']);
  });
});
