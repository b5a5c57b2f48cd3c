import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { RequestScope } from '@shop/runtime';
import { byKey, cachedLoader, SingleFlight, type EntityCache, type SubgraphDeps } from '@shop/runtime/subgraph';
import { findProductsByIds, findProductsBySkus } from './product.repository';
import type { ProductDatabase, ProductRow } from './product.table';

/**
 * Process-wide pieces of the product read path: Redis caches (rows by id; sku → id, which
 * never changes) and single-flight maps. Loaders built from them are per request.
 */
export class ProductCaches {
  readonly rows: EntityCache<ProductRow>;
  readonly skus: EntityCache<string>;
  private readonly skuFlight = new SingleFlight<ProductRow>();

  constructor(private readonly deps: Pick<SubgraphDeps<ProductDatabase>, 'entityCache' | 'env'>) {
    // Every Product field is read from this row: its invalidations reach the router's entity cache.
    this.rows = deps.entityCache<ProductRow>('product', { shared: true, entityType: 'Product' });
    this.skus = deps.entityCache<string>('productSku', { shared: true });
  }

  /** After a commit that changed these products (price, name, stock). */
  invalidate(ids: readonly string[]): Promise<void> {
    return this.rows.invalidate(ids);
  }

  /** One request's loaders, reading through `db` (the request's handle) and counting into `scope`. */
  loaders(db: Kysely<ProductDatabase>, scope: RequestScope) {
    const enabled = this.deps.env.CACHE_ENABLED;
    const byId = cachedLoader({
      cache: this.rows,
      load: byKey(
        (ids) => findProductsByIds(db, ids),
        (row) => row.id,
      ),
      enabled,
      scope,
    });
    // A sku resolves to an id through its own cache; rows found by sku fill the row cache too.
    const bySku = new DataLoader<string, ProductRow | null>(async (skus) => {
      const ids = enabled ? await this.skus.getMany(skus) : new Map<string, string>();
      const missing = skus.filter((sku) => !ids.has(sku));
      const found = new Map<string, ProductRow>();
      if (missing.length > 0) {
        const started = Date.now();
        const rows = await this.skuFlight.load(
          missing,
          byKey(
            (s) => findProductsBySkus(db, s),
            (row) => row.sku,
          ),
        );
        for (const [sku, row] of rows) {
          found.set(sku, row);
          byId.prime(row.id, row);
        }
        if (enabled) {
          await this.skus.setMany([...rows].map(([sku, row]) => [sku, row.id]));
          await this.rows.setMany(
            [...rows.values()].map((row) => [row.id, row]),
            started,
          );
        }
      }
      const known = skus.filter((sku) => ids.has(sku));
      const rows = await byId.loadMany(known.map((sku) => ids.get(sku)!));
      known.forEach((sku, i) => {
        const row = rows[i];
        if (row && !(row instanceof Error)) found.set(sku, row);
      });
      return skus.map((sku) => found.get(sku) ?? null);
    });
    return { productById: byId, productBySku: bySku };
  }
}

export type ProductLoaders = ReturnType<ProductCaches['loaders']>;
