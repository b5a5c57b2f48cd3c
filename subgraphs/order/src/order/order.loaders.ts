import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { RequestScope } from '@shop/runtime';
import { byKey, cachedLoader, grouped, SingleFlight, type EntityCache, type SubgraphDeps } from '@shop/runtime/subgraph';
import { findLinesByOrderIds, findOrdersByIds, findRecentOrdersByUsers } from './order.repository';
import type { OrderDatabase, OrderLineRow, OrderRow } from './order.table';

/** How many of a user's newest order ids are cached: the largest first page plus one. */
export const RECENT_ORDERS = 101;

/**
 * Process-wide pieces of the order read path: Redis caches for order rows (status changes
 * invalidate them), their lines (never change) and each user's newest order ids (a new order
 * invalidates them), with single-flight maps. Loaders built from them are per request.
 */
export class OrderCaches {
  readonly rows: EntityCache<OrderRow>;
  readonly lines: EntityCache<OrderLineRow[]>;
  readonly recent: EntityCache<string[]>;
  private readonly recentFlight = new SingleFlight<OrderRow[]>();

  constructor(private readonly deps: Pick<SubgraphDeps<OrderDatabase>, 'entityCache' | 'env'>) {
    this.rows = deps.entityCache<OrderRow>('order');
    this.lines = deps.entityCache<OrderLineRow[]>('orderLines');
    this.recent = deps.entityCache<string[]>('recentOrders');
  }

  /** After a new order for this user has committed. */
  async invalidateRecent(userId: string): Promise<void> {
    this.recentFlight.forget([userId]);
    await this.recent.invalidate([userId]);
  }

  /** One request's loaders, reading through `db` (the request's handle) and counting into `scope`. */
  loaders(db: Kysely<OrderDatabase>, scope: RequestScope) {
    const enabled = this.deps.env.CACHE_ENABLED;
    const orderById = cachedLoader({
      cache: this.rows,
      load: byKey(
        (ids) => findOrdersByIds(db, ids),
        (row) => row.id,
      ),
      enabled,
      scope,
    });
    const linesByOrderId = cachedLoader({
      cache: this.lines,
      load: grouped(
        (ids) => findLinesByOrderIds(db, ids),
        (line) => line.order_id,
      ),
      enabled,
      scope,
    });
    // A user's newest orders: ids from the cache and rows through orderById, or, on a miss,
    // the rows themselves in one statement for every user in the batch.
    const recentOrders = new DataLoader<string, OrderRow[]>(async (userIds) => {
      const cached = enabled ? await this.recent.getMany(userIds) : new Map<string, string[]>();
      const missing = userIds.filter((id) => !cached.has(id));
      const result = new Map<string, OrderRow[]>();
      if (missing.length > 0) {
        const started = Date.now();
        const loaded = await this.recentFlight.load(
          missing,
          grouped(
            (ids) => findRecentOrdersByUsers(db, ids, RECENT_ORDERS),
            (row) => row.user_id,
          ),
        );
        for (const [userId, rows] of loaded) {
          result.set(userId, rows);
          for (const row of rows) orderById.prime(row.id, row);
        }
        if (enabled) {
          await this.recent.setMany(
            [...loaded].map(([userId, rows]) => [userId, rows.map((r) => r.id)]),
            started,
          );
          await this.rows.setMany(
            [...loaded.values()].flat().map((row) => [row.id, row]),
            started,
          );
        }
      }
      for (const userId of userIds.filter((id) => cached.has(id))) {
        const rows = await orderById.loadMany(cached.get(userId)!);
        result.set(
          userId,
          rows.filter((r): r is OrderRow => r !== null && !(r instanceof Error)),
        );
      }
      return userIds.map((id) => result.get(id) ?? []);
    });
    return { orderById, linesByOrderId, recentOrders };
  }
}

export type OrderLoaders = ReturnType<OrderCaches['loaders']>;
