import type { Kysely } from 'kysely';
import type { ProductPriced } from '@shop/contracts';
import { writeEvent } from '@shop/runtime/subgraph';
import { countProducts } from './product/product.repository';
import type { ProductDatabase } from './product/product.table';

const CATEGORIES = ['books', 'games', 'kitchen', 'garden', 'music', 'office', 'outdoor', 'toys'];
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Handy', 'Mini', 'Pro', 'Smart', 'Sturdy', 'Vintage'];
const NOUNS = ['Lamp', 'Mug', 'Notebook', 'Kettle', 'Chair', 'Speaker', 'Puzzle', 'Backpack', 'Planter', 'Clock'];

export { countProducts };

/**
 * Inserts `count` demo products in batches, each with its product.created event in the same
 * transaction, so the cart and order projections fill through the normal event flow.
 */
export async function seedProducts(
  db: Kysely<ProductDatabase>,
  options: { count: number; batchSize?: number; onProgress?: (done: number) => void },
): Promise<ProductPriced[]> {
  const batchSize = options.batchSize ?? 500;
  const start = await countProducts(db);
  const seeded: ProductPriced[] = [];
  for (let offset = 0; offset < options.count; offset += batchSize) {
    const size = Math.min(batchSize, options.count - offset);
    const values = Array.from({ length: size }, (_, i) => {
      const n = start + offset + i + 1;
      const category = CATEGORIES[n % CATEGORIES.length]!;
      const name = `${ADJECTIVES[n % ADJECTIVES.length]} ${NOUNS[Math.floor(n / ADJECTIVES.length) % NOUNS.length]} ${n}`;
      return {
        sku: `SKU-${String(n).padStart(6, '0')}`,
        name,
        description: `A ${name.toLowerCase()} from our ${category} range.`,
        category,
        price_cents: 199 + ((n * 7919) % 49_800),
        stock: 50 + ((n * 31) % 450),
      };
    });
    const rows = await db.transaction().execute(async (trx) => {
      const inserted = await trx.insertInto('products').values(values).returningAll().execute();
      for (const row of inserted) {
        await writeEvent(
          trx,
          'product.created',
          row.id,
          {
            productId: row.id,
            sku: row.sku,
            name: row.name,
            priceCents: row.price_cents,
            version: row.version,
          },
          row.version,
        );
      }
      return inserted;
    });
    seeded.push(...rows.map((r) => ({ productId: r.id, sku: r.sku, name: r.name, priceCents: r.price_cents, version: r.version })));
    options.onProgress?.(offset + size);
  }
  return seeded;
}

/** Products for building carts and orders in benchmark datasets. */
export async function sampleProducts(db: Kysely<ProductDatabase>, limit: number): Promise<ProductPriced[]> {
  const rows = await db.selectFrom('products').selectAll().orderBy('created_at').limit(limit).execute();
  return rows.map((r) => ({ productId: r.id, sku: r.sku, name: r.name, priceCents: r.price_cents, version: r.version }));
}
