import type { Kysely } from 'kysely';
import { BadUserInputError, ConflictError, NotFoundError } from '@shop/runtime';
import { decodeCursor, encodeCursor, Money, parseFirst, writeEvent, type OutboxRelay } from '@shop/runtime/subgraph';
import { findProductPrices, lineCents, sumCents } from '@shop/domain';
import type { PlaceOrderInput } from './order.input';
import type { OrderCaches, OrderLoaders } from './order.loaders';
import * as repository from './order.repository';
import { checkCursorId, requestHash, validatePlaceOrder } from './order.rules';
import { nextStatus } from './order.states';
import type { OrderDatabase, OrderLineRow, OrderRow } from './order.table';
import type { Order, OrderConnection, OrderItem } from './order.type';

export function toOrder(row: OrderRow, currency: string): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    total: Money.of(row.total_cents, currency),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toOrderItem(row: OrderLineRow, currency: string): OrderItem {
  return {
    product: { id: row.product_id },
    productName: row.product_name,
    quantity: row.quantity,
    unitPrice: Money.of(row.unit_price_cents, currency),
    lineTotal: Money.of(lineCents(row.unit_price_cents, row.quantity), currency),
  };
}

type PageArgs = { first?: number | null; after?: string | null };

const sameRequest = (existing: OrderRow, hash: string) => {
  if (existing.request_hash !== hash) {
    throw new ConflictError('This idempotency key was already used for a different order.');
  }
  return existing;
};

/** Order writes: each commits its rows and the event it causes in one transaction. */
export class OrderService {
  constructor(
    private readonly db: Kysely<OrderDatabase>,
    private readonly relay: OutboxRelay,
    private readonly caches: OrderCaches,
    readonly currency: string,
    /** The request's trace, carried by the events it causes. */
    private readonly traceparent: string | null = null,
  ) {}

  map(row: OrderRow): Order;
  map(row: OrderRow | null): Order | null;
  map(row: OrderRow | null): Order | null {
    return row && toOrder(row, this.currency);
  }

  mapItem(row: OrderLineRow): OrderItem {
    return toOrderItem(row, this.currency);
  }

  /** The first page comes from the user's cached newest orders; later pages from Postgres. */
  async listForUser(userId: string, args: PageArgs, loaders: OrderLoaders): Promise<OrderConnection> {
    const limit = parseFirst(args.first);
    const cursor = decodeCursor(args.after);
    const after = cursor ? { createdAt: cursor.createdAt, id: checkCursorId(cursor.id) } : null;
    const rows = after ? await repository.listOrdersByUser(this.db, userId, { limit, after }) : (await loaders.recentOrders.load(userId)).slice(0, limit + 1);
    const page = rows.slice(0, limit);
    const edges = page.map((row) => ({ cursor: encodeCursor({ createdAt: row.created_at, id: row.id }), node: this.map(row) }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /**
   * Idempotent by (user, key): the key is looked up before pricing, so a retry after a price
   * change still returns the order it placed; two replicas racing on one key insert once.
   */
  async place(userId: string, input: PlaceOrderInput): Promise<Order> {
    const request = validatePlaceOrder(input);
    const hash = requestHash(request.lines);
    const existing = await repository.findOrderByIdempotencyKey(this.db, userId, request.idempotencyKey);
    if (existing) return this.map(sameRequest(existing, hash));

    const prices = new Map(
      (
        await findProductPrices(
          this.db,
          request.lines.map((l) => l.productId),
        )
      ).map((p) => [p.product_id, p]),
    );
    const unknown = request.lines.filter((l) => !prices.has(l.productId)).map((l) => l.productId);
    if (unknown.length > 0) throw new BadUserInputError(`Unknown product: ${unknown.join(', ')}.`, 'items');
    const priced = request.lines.map((line, position) => {
      const price = prices.get(line.productId)!;
      return {
        position,
        product_id: line.productId,
        product_name: price.name,
        quantity: line.quantity,
        unit_price_cents: price.price_cents,
      };
    });
    const total = sumCents(priced.map((l) => lineCents(l.unit_price_cents, l.quantity)));
    if (request.expectedTotalCents !== null && request.expectedTotalCents !== total) {
      throw new ConflictError(`The total is now ${total} cents, not ${request.expectedTotalCents}; nothing was placed.`);
    }

    const { row, placed } = await this.db.transaction().execute(async (trx) => {
      const inserted = await repository.insertOrderOnce(trx, {
        user_id: userId,
        status: 'PENDING',
        total_cents: total,
        idempotency_key: request.idempotencyKey,
        request_hash: hash,
      });
      if (!inserted) {
        // Lost a race on this key: the winner has committed, and this statement sees it.
        const winner = await repository.findOrderByIdempotencyKey(trx, userId, request.idempotencyKey);
        if (!winner) throw new Error('idempotency key conflict without a visible order');
        return { row: sameRequest(winner, hash), placed: false };
      }
      await repository.insertOrderLines(
        trx,
        priced.map((l) => ({ ...l, order_id: inserted.id })),
      );
      await writeEvent(
        trx,
        'order.placed',
        inserted.id,
        {
          orderId: inserted.id,
          userId: inserted.user_id,
          lines: priced.map((l) => ({ productId: l.product_id, quantity: l.quantity })),
        },
        1,
        this.traceparent,
      );
      return { row: inserted, placed: true };
    });
    if (placed) {
      await this.caches.invalidateRecent(userId);
      this.relay.kick();
    }
    return this.map(row);
  }

  /**
   * Safe to retry: a cancelled order comes back as it is, and only the first cancel emits.
   * The caller has been authorised for this order (its owner never changes).
   */
  async cancel(id: string): Promise<Order> {
    const { row, cancelled } = await this.db.transaction().execute(async (trx) => {
      const current = await repository.findOrderForUpdate(trx, id);
      if (!current) throw new NotFoundError('No order with that id.');
      if (current.status === 'CANCELLED') return { row: current, cancelled: false };
      const next = nextStatus(current.status, 'cancel');
      if (next === null) throw new ConflictError(`A ${current.status} order cannot be cancelled.`);
      const updated = await repository.setOrderStatus(trx, id, next);
      await writeEvent(trx, 'order.cancelled', id, { orderId: id, userId: current.user_id }, 1, this.traceparent);
      return { row: updated, cancelled: true };
    });
    if (cancelled) {
      await this.caches.rows.invalidate([id]);
      this.relay.kick();
    }
    return this.map(row);
  }
}
