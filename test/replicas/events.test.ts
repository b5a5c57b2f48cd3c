import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope, eventually, metricTotal, TestPublisher, TestQueue } from '@shop/testing';
import { writeEvent } from '@shop/runtime/subgraph';
import { createCluster, type Replica } from './cluster';

/**
 * Events with two replicas of a subgraph: the outbox relays share the rows (FOR UPDATE SKIP
 * LOCKED) and publish each once; the consumers share the queue and the inbox applies each
 * event once, even when both replicas are handed the same event at the same time.
 */

describe('two outbox relays on one outbox', () => {
  const cluster = createCluster();
  let replicas: Replica[];
  let tap: TestQueue;

  beforeAll(async () => {
    replicas = await cluster.start('product', 2);
    tap = await TestQueue.bind(cluster.run.topology, ['product.created']);
  });
  afterAll(async () => {
    await tap?.close();
    await cluster.stop();
  });

  const published = (replica: Replica) => metricTotal(replica.url, 'events_published_total', { type: 'product.created', outcome: 'published' });

  it('publish every row exactly once, and both take a share', async () => {
    const N = 300;
    const db = replicas[0]!.deps.db;
    // One commit, then both relays woken in the same tick: they claim batches at the same moment.
    const written = await db.transaction().execute(async (trx) => {
      const events = [];
      for (let i = 0; i < N; i++) {
        const productId = randomUUID();
        events.push(await writeEvent(trx, 'product.created', productId, { productId, sku: `RELAY-${i}`, name: `Relay ${i}`, priceCents: 100 + i, version: 1 }));
      }
      return events;
    });
    for (const replica of replicas) replica.deps.relay.kick();

    await eventually(async () => expect(tap.messages.length).toBeGreaterThanOrEqual(N), { timeoutMs: 20_000 });
    await eventually(async () => {
      const { count } = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('published_at', 'is', null)
        .executeTakeFirstOrThrow();
      expect(Number(count)).toBe(0);
    });
    // A second publication of a row would arrive after the first: give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const ids = tap.messages.map((m) => (m.body as { id: string }).id);
    expect(tap.messages.map((m) => m.messageId)).toEqual(ids);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicates).toEqual([]);
    expect(ids.length).toBe(N);
    expect(new Set(ids)).toEqual(new Set(written.map((e) => e.id)));

    const shares = await Promise.all(replicas.map(published));
    console.info(`outbox relays: ${N} rows published ${shares.join(' + ')} by the two replicas`);
    expect(shares[0]! + shares[1]!).toBe(N);
    expect(shares[0]).toBeGreaterThan(0);
    expect(shares[1]).toBeGreaterThan(0);
  });
});

describe('two consumers of one queue', () => {
  const cluster = createCluster();
  let replicas: Replica[];
  let publisher: TestPublisher;
  const USERS = 10;
  const START_QUANTITY = 999;
  const productId = randomUUID();
  const users = Array.from({ length: USERS }, () => randomUUID());

  beforeAll(async () => {
    replicas = await cluster.start('cart', 2);
    publisher = new TestPublisher(cluster.run.topology);
    // Each user has one line of the product, 999 units; every stock.reserved event takes 1.
    const db = replicas[0]!.deps.db;
    await db
      .insertInto('carts')
      .values(users.map((user_id) => ({ user_id })))
      .execute();
    await db
      .insertInto('cart_lines')
      .values(users.map((user_id) => ({ user_id, product_id: productId, quantity: START_QUANTITY })))
      .execute();
  });
  afterAll(async () => {
    await publisher?.close();
    await cluster.stop();
  });

  const consumed = (replica: Replica, outcome: 'applied' | 'duplicate') =>
    metricTotal(replica.url, 'events_consumed_total', { type: 'stock.reserved', outcome });

  it('share the work and apply every event once, also when both are handed the same event', async () => {
    const N = 200;
    const events = Array.from({ length: N }, (_, i) => {
      const orderId = randomUUID();
      return envelope('stock.reserved', orderId, { orderId, userId: users[i % USERS]!, lines: [{ productId, quantity: 1 }] });
    });
    // Every event twice in a row (sent without waiting for each confirm): the broker hands the
    // two copies round-robin to the two replicas.
    await Promise.all(events.flatMap((event) => [publisher.publish(event), publisher.publish(event)]));

    const outcomes = async () => {
      const perReplica = await Promise.all(replicas.map(async (r) => ({ applied: await consumed(r, 'applied'), duplicate: await consumed(r, 'duplicate') })));
      return { perReplica, handled: perReplica.reduce((sum, r) => sum + r.applied + r.duplicate, 0) };
    };
    await eventually(async () => expect((await outcomes()).handled).toBe(2 * N), { timeoutMs: 20_000 });
    const { perReplica } = await outcomes();
    console.info(`consumers: ${N} events (each delivered twice) applied ${perReplica.map((r) => r.applied).join(' + ')} by the two replicas`);

    const db = replicas[0]!.deps.db;
    // Applied once each: every user's line lost exactly one unit per event for that user.
    const lines = await db.selectFrom('cart_lines').select(['user_id', 'quantity']).where('product_id', '=', productId).execute();
    expect(lines).toHaveLength(USERS);
    for (const line of lines) expect(line.quantity).toBe(START_QUANTITY - N / USERS);
    const inbox = await db
      .selectFrom('inbox')
      .select(['event_id', sql<number>`count(*)::int`.as('count')])
      .where('type', '=', 'stock.reserved')
      .groupBy('event_id')
      .execute();
    expect(new Set(inbox.map((row) => row.event_id))).toEqual(new Set(events.map((e) => e.id)));
    expect(inbox.every((row) => row.count === 1)).toBe(true);

    expect(perReplica.reduce((sum, r) => sum + r.applied, 0)).toBe(N);
    expect(perReplica.reduce((sum, r) => sum + r.duplicate, 0)).toBe(N);
    for (const replica of perReplica) expect(replica.applied).toBeGreaterThan(0);
    expect(await publisher.drainDeadLetters('cart')).toEqual([]);
  });
});
