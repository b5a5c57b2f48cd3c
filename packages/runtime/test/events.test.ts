import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, deleteTopology, envelope, eventually, POSTGRES_URL, RABBITMQ_URL, TestPublisher } from '@shop/testing';
import { createLogger, EventBus, queueName, UnroutableEventError } from '../src';
import {
  consumeWithInbox,
  createDatabase,
  ensureDatabase,
  EventRetention,
  eventRetentionMigration,
  eventTablesMigration,
  migrateToLatest,
  OutboxRelay,
  writeEvent,
  type EventTables,
} from '../src/subgraph';

/**
 * The event pipeline on the real broker and database: outbox → relay → exchange → queue →
 * consumer with inbox, retries and dead letters. The 'cart' queue stands in for any consumer.
 */
interface Db extends EventTables {
  applied: { event_id: string; product_id: string };
}

const run = createTestRun();
const log = createLogger('events-test', 'silent');
let db: Kysely<Db>;
const buses: EventBus[] = [];
let publisher: TestPublisher;

function bus(url = RABBITMQ_URL) {
  const created = new EventBus({ url, ...run.topology, maxDeliveryAttempts: 3, retryBaseMs: 10, log });
  buses.push(created);
  return created;
}

const failuresLeft = new Map<string, number>();

beforeAll(async () => {
  const database = run.env('events').POSTGRES_DB!;
  await ensureDatabase(POSTGRES_URL, database);
  db = createDatabase<Db>({ url: POSTGRES_URL, database });
  await migrateToLatest(db, {
    '0-events': eventTablesMigration,
    '0-events-retention': eventRetentionMigration,
    '1-applied': {
      up: async (d) => {
        await d.schema.createTable('applied').addColumn('event_id', 'uuid').addColumn('product_id', 'text').execute();
      },
    },
  });
  const consumer = bus();
  await consumer.declareTopology(5_000);
  consumeWithInbox<Db>(consumer, 'cart', db, {
    async 'product.created'(trx, event) {
      const { productId } = event.payload as { productId: string };
      const left = failuresLeft.get(productId) ?? 0;
      if (left > 0) {
        failuresLeft.set(productId, left - 1);
        throw new Error(`planned failure for ${productId}`);
      }
      await trx.insertInto('applied').values({ event_id: event.id, product_id: productId }).execute();
    },
  });
  publisher = new TestPublisher(run.topology);
});

afterAll(async () => {
  await publisher?.close();
  await Promise.all(buses.map((b) => b.close()));
  await db?.destroy();
  await run.cleanup();
});

const appliedFor = async (productId: string) => (await db.selectFrom('applied').selectAll().where('product_id', '=', productId).execute()).length;

const priced = (productId: string) => ({ productId, sku: 'S', name: 'N', priceCents: 1, version: 1 });

describe('consumer', () => {
  it('applies a redelivered event once', async () => {
    const productId = randomUUID();
    const event = envelope('product.created', productId, priced(productId));
    await publisher.publish(event);
    await publisher.publish(event);
    await publisher.publish(event);
    await eventually(async () => expect(await appliedFor(productId)).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await appliedFor(productId)).toBe(1);
  });

  it('retries a failing event with backoff and applies it once it succeeds', async () => {
    const productId = randomUUID();
    failuresLeft.set(productId, 2);
    await publisher.publish(envelope('product.created', productId, priced(productId)));
    await eventually(async () => expect(await appliedFor(productId)).toBe(1));
    expect(failuresLeft.get(productId)).toBe(0);
  });

  it('parks a poison message in the dead-letter queue', async () => {
    const productId = randomUUID();
    failuresLeft.set(productId, 1_000);
    const poison = envelope('product.created', productId, priced(productId));
    await publisher.publish(poison);
    await publisher.publish({ type: 'product.created', body: Buffer.from('{not json') });
    const dead: unknown[] = [];
    await eventually(async () => {
      dead.push(...(await publisher.drainDeadLetters('cart')));
      expect(dead).toHaveLength(2);
    });
    expect(dead.map((d) => (Buffer.isBuffer(d) ? d.toString() : (d as { id: string }).id))).toEqual(expect.arrayContaining([poison.id, '{not json']));
    expect(await appliedFor(productId)).toBe(0);
  });

  it('stops taking events at shutdown: the event in hand commits and is acked, not handed back', async () => {
    // Its own bus on the 'order' queue (which product.created also reaches), as a stopping subgraph's.
    const stopping = bus();
    const productId = randomUUID();
    let started!: () => void;
    const inHand = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    stopping.consume('order', async (event) => {
      if (event.aggregateId !== productId) return 'ignored';
      started();
      await gate;
      await db
        .insertInto('applied')
        .values({ event_id: event.id, product_id: `${productId}:order` })
        .execute();
      return 'applied';
    });
    await publisher.publish(envelope('product.created', productId, priced(productId)));
    await inHand;

    let stopped = false;
    const stoppingConsumers = stopping.stopConsuming().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false); // it waits for the handler
    finish();
    await stoppingConsumers;
    expect(await appliedFor(`${productId}:order`)).toBe(1);
    // Acked: nothing went back to the queue when the channel closed.
    const { messageCount } = await stopping.connection.queueDeclare({ queue: queueName(run.topology, 'order'), passive: true });
    expect(messageCount).toBe(0);
  });
});

describe('outbox relay', () => {
  it('keeps events in the outbox while the broker is unreachable and publishes them once it is back', async () => {
    const productIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of productIds) await writeEvent(db, 'product.created', id, priced(id));

    const down = new OutboxRelay(db, bus('amqp://guest:guest@127.0.0.1:1'), { pollMs: 20, log });
    expect(await down.drain()).toBe(0);
    const waiting = await db.selectFrom('outbox').selectAll().where('aggregate_id', 'in', productIds).execute();
    expect(waiting.map((row) => row.published_at)).toEqual([null, null, null]);
    expect(Math.max(...waiting.map((row) => row.attempts))).toBeGreaterThan(0);

    const relay = new OutboxRelay(db, bus(), { pollMs: 20, log });
    relay.start();
    try {
      for (const id of productIds) await eventually(async () => expect(await appliedFor(id)).toBe(1));
      const rows = await db.selectFrom('outbox').selectAll().where('aggregate_id', 'in', productIds).execute();
      expect(rows.every((row) => row.published_at !== null)).toBe(true);
    } finally {
      await relay.stop();
    }
  }, 30_000);

  it('counts an unroutable event as a failure, not a success', async () => {
    const names = { exchange: `${run.topology.exchange}.lonely`, queuePrefix: `${run.topology.queuePrefix}.lonely` };
    const lonely = new EventBus({ url: RABBITMQ_URL, ...names, maxDeliveryAttempts: 1, retryBaseMs: 10, log });
    buses.push(lonely);
    try {
      const first = randomUUID();
      await lonely.publish(envelope('product.created', first, priced(first))); // declares the topology; routable
      for (const consumer of ['cart', 'order'] as const) {
        await lonely.connection.queueUnbind({ exchange: names.exchange, queue: queueName(names, consumer), routingKey: 'product.created' });
      }
      const second = randomUUID();
      await expect(lonely.publish(envelope('product.created', second, priced(second)))).rejects.toBeInstanceOf(UnroutableEventError);
    } finally {
      await deleteTopology(names);
    }
  });
});

describe('event retention', () => {
  const HOUR = 3_600_000;
  const ago = (hours: number) => new Date(Date.now() - hours * HOUR);
  const outboxRow = (publishedAt: Date | null, occurredAt: Date) => ({
    id: randomUUID(),
    type: 'product.created',
    aggregate_id: randomUUID(),
    version: 1,
    payload: '{}',
    traceparent: null,
    occurred_at: occurredAt,
    published_at: publishedAt,
  });

  it('deletes published outbox rows and inbox records past the retention, in batches, and nothing else', async () => {
    const oldPublished = Array.from({ length: 5 }, () => outboxRow(ago(30), ago(31)));
    const recentPublished = outboxRow(ago(1), ago(1));
    const oldUnpublished = outboxRow(null, ago(72)); // waiting for the broker: never pruned
    await db
      .insertInto('outbox')
      .values([...oldPublished, recentPublished, oldUnpublished])
      .execute();
    const oldInbox = [randomUUID(), randomUUID(), randomUUID()];
    const recentInbox = randomUUID();
    await db
      .insertInto('inbox')
      .values([
        ...oldInbox.map((event_id) => ({ event_id, type: 'product.created', processed_at: ago(30) })),
        { event_id: recentInbox, type: 'product.created', processed_at: ago(1) },
      ])
      .execute();

    const retention = new EventRetention(db, { retentionHours: 24, batchSize: 2, log });
    expect(await retention.prune()).toEqual({ outbox: 5, inbox: 3 });

    const outboxLeft = new Set((await db.selectFrom('outbox').select('id').execute()).map((row) => row.id));
    for (const row of oldPublished) expect(outboxLeft.has(row.id)).toBe(false);
    expect(outboxLeft.has(recentPublished.id)).toBe(true);
    expect(outboxLeft.has(oldUnpublished.id)).toBe(true);
    const inboxLeft = new Set((await db.selectFrom('inbox').select('event_id').execute()).map((row) => row.event_id));
    for (const id of oldInbox) expect(inboxLeft.has(id)).toBe(false);
    expect(inboxLeft.has(recentInbox)).toBe(true);

    // A second pass finds nothing more to do.
    expect(await retention.prune()).toEqual({ outbox: 0, inbox: 0 });
    await db.deleteFrom('outbox').where('id', 'in', [recentPublished.id, oldUnpublished.id]).execute();
  });

  it('prunes on its own once started, and stops cleanly', async () => {
    const old = outboxRow(ago(48), ago(49));
    await db.insertInto('outbox').values(old).execute();
    const retention = new EventRetention(db, { retentionHours: 24, firstRunMs: 10, intervalMs: 60_000, log });
    retention.start();
    try {
      await eventually(async () => expect(await db.selectFrom('outbox').select('id').where('id', '=', old.id).executeTakeFirst()).toBeUndefined());
    } finally {
      await retention.stop();
    }
  });
});
