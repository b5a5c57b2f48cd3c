import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '@shop/runtime';
import { decodeCursor, encodeCursor, Money, parseFirst, writeEvent, type OutboxRelay } from '@shop/runtime/subgraph';
import type { ProductCaches } from './product.loaders';
import type { CreateProductInput, UpdateProductInput } from './product.input';
import * as repository from './product.repository';
import { LIMITS, optionalText, validateCreate, validateRestock, validateUpdate } from './product.rules';
import type { ProductDatabase, ProductRow } from './product.table';
import type { Product, ProductConnection } from './product.type';

export function toProduct(row: ProductRow, currency: string): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    price: Money.of(row.price_cents, currency),
    stock: row.stock,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

function pricedPayload(row: ProductRow) {
  return { productId: row.id, sku: row.sku, name: row.name, priceCents: row.price_cents, version: row.version };
}

/** Product writes: each commits its row and the event it causes in one transaction. */
export class ProductService {
  constructor(
    private readonly db: Kysely<ProductDatabase>,
    private readonly relay: OutboxRelay,
    private readonly caches: ProductCaches,
    readonly currency: string,
    /** The request's trace, carried by the events it causes. */
    private readonly traceparent: string | null = null,
  ) {}

  map(row: ProductRow): Product;
  map(row: ProductRow | null): Product | null;
  map(row: ProductRow | null): Product | null {
    return row && toProduct(row, this.currency);
  }

  /** After commit: the change is visible at once to the next read, in every replica. */
  private async committed(row: ProductRow): Promise<Product> {
    await this.caches.invalidate([row.id]);
    this.relay.kick();
    return this.map(row);
  }

  async list(args: { first?: number | null; after?: string | null; category?: string | null; search?: string | null }): Promise<ProductConnection> {
    const limit = parseFirst(args.first);
    const rows = await repository.listProducts(this.db, {
      limit,
      after: decodeCursor(args.after),
      category: optionalText(args.category, 'category', LIMITS.category),
      search: optionalText(args.search, 'search', LIMITS.search),
    });
    const page = rows.slice(0, limit);
    const edges = page.map((row) => ({ cursor: encodeCursor({ createdAt: row.created_at, id: row.id }), node: this.map(row) }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async create(input: CreateProductInput): Promise<Product> {
    const values = validateCreate(input);
    try {
      const row = await this.db.transaction().execute(async (trx) => {
        const created = await repository.insertProduct(trx, values);
        await writeEvent(trx, 'product.created', created.id, pricedPayload(created), created.version, this.traceparent);
        return created;
      });
      return await this.committed(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A product with sku '${values.sku}' already exists.`);
      throw error;
    }
  }

  async update(id: string, input: UpdateProductInput): Promise<Product> {
    const patch = validateUpdate(input);
    const row = await this.db.transaction().execute(async (trx) => {
      const current = await repository.findProductForUpdate(trx, id);
      if (!current) throw new NotFoundError('No product with that id.');
      const priced =
        (patch.price_cents !== undefined && patch.price_cents !== current.price_cents) || (patch.name !== undefined && patch.name !== current.name);
      if (Object.keys(patch).length === 0) return current;
      const updated = (await repository.updateProduct(trx, id, patch, priced))!;
      if (priced) await writeEvent(trx, 'product.price-changed', updated.id, pricedPayload(updated), updated.version, this.traceparent);
      return updated;
    });
    return this.committed(row);
  }

  async restock(id: string, quantity: number): Promise<Product> {
    const row = await this.db.transaction().execute(async (trx) => {
      const current = await repository.findProductForUpdate(trx, id);
      if (!current) throw new NotFoundError('No product with that id.');
      validateRestock(current.stock, quantity);
      return (await repository.addStock(trx, id, quantity))!;
    });
    return this.committed(row);
  }
}
