import { seedCarts } from '@shop/cart-subgraph';
import { seedOrders } from '@shop/order-subgraph';
import { countProducts, sampleProducts, seedProducts } from '@shop/product-subgraph';
import { DEMO_ACCOUNTS, seedDemoAccounts, seedUsers } from '@shop/user-subgraph';
import type { SubgraphDatabases } from '../db/databases';

export interface DatasetSpec {
  products: number;
  /** Generated customers, beside the demo accounts. */
  users: number;
  /** Orders in total, spread evenly over the generated users. */
  orders: number;
  /** Lines in each generated user's cart (0: no carts). */
  cartLines: number;
  linesPerOrder: number;
  demoAccounts: boolean;
}

/** What `npm run seed` without flags and a first `npm start` load. */
export const DEMO_DATASET: DatasetSpec = { products: 200, users: 0, orders: 0, cartLines: 0, linesPerOrder: 3, demoAccounts: true };

/** The accounts seedDemoAccounts creates, for the start banner. */
export { DEMO_ACCOUNTS };

export type SeedStage = 'products' | 'demo accounts' | 'users' | 'carts' | 'orders';

export interface SeedProgress {
  (stage: SeedStage, done: number, total: number): void;
}

export interface SeededDataset {
  products: number;
  userIds: string[];
  carts: number;
  orders: number;
}

/** Products sampled for carts and orders; lines pick among them. */
const SAMPLE_PRODUCTS = 1_000;

export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** Problems with a spec that no database can fix; empty when it can be seeded. */
export function datasetProblems(spec: DatasetSpec, nodeEnv: string): string[] {
  const problems: string[] = [];
  if (spec.demoAccounts && nodeEnv === 'production') {
    problems.push('refusing to create demo accounts (published passwords) with NODE_ENV=production');
  }
  if (spec.orders > 0 && spec.users === 0) problems.push('orders are spread over generated users: give --users too');
  if (spec.cartLines > 100) problems.push('a cart holds at most 100 lines');
  if (spec.linesPerOrder < 1 || spec.linesPerOrder > 100) problems.push('an order has 1..100 lines');
  return problems;
}

/** Splits `total` over `count` slots as evenly as possible: [slots with q+1, slots with q]. */
export function spread(total: number, count: number): { perSlot: number; slots: number }[] {
  if (count === 0 || total === 0) return [];
  const base = Math.floor(total / count);
  const extra = total % count;
  return [
    { perSlot: base + 1, slots: extra },
    { perSlot: base, slots: count - extra },
  ].filter((part) => part.perSlot > 0 && part.slots > 0);
}

/**
 * Seeds the shop through each subgraph's own seed functions, in dependency order: products
 * (with their product.created events in the outbox, so the cart and order projections fill
 * once the product subgraph runs), demo accounts, users, their carts, their orders.
 */
export async function seedDataset(dbs: SubgraphDatabases, spec: DatasetSpec, options: { nodeEnv: string; onProgress?: SeedProgress }): Promise<SeededDataset> {
  const problems = datasetProblems(spec, options.nodeEnv);
  if (problems.length) throw new DatasetError(problems.join('; '));
  const progress: SeedProgress = options.onProgress ?? (() => undefined);

  if (spec.products > 0) {
    progress('products', 0, spec.products);
    await seedProducts(dbs.product, { count: spec.products, onProgress: (done) => progress('products', done, spec.products) });
  }
  if (spec.demoAccounts) {
    progress('demo accounts', 0, DEMO_ACCOUNTS.length);
    await seedDemoAccounts(dbs.user, { nodeEnv: options.nodeEnv });
    progress('demo accounts', DEMO_ACCOUNTS.length, DEMO_ACCOUNTS.length);
  }
  let userIds: string[] = [];
  if (spec.users > 0) {
    progress('users', 0, spec.users);
    userIds = await seedUsers(dbs.user, { count: spec.users, onProgress: (done) => progress('users', done, spec.users) });
  }

  const needLines = Math.max(userIds.length && spec.cartLines ? spec.cartLines : 0, spec.orders ? spec.linesPerOrder : 0);
  const products = needLines > 0 ? await sampleProducts(dbs.product, SAMPLE_PRODUCTS) : [];
  if (products.length < needLines) {
    throw new DatasetError(`${needLines} lines need as many products; the product database has ${await countProducts(dbs.product)} (add --products)`);
  }

  let carts = 0;
  if (userIds.length > 0 && spec.cartLines > 0) {
    progress('carts', 0, userIds.length);
    await seedCarts(dbs.cart, { userIds, products, linesPerCart: spec.cartLines, onProgress: (done) => progress('carts', done, userIds.length) });
    carts = userIds.length;
  }

  let orders = 0;
  if (spec.orders > 0) {
    progress('orders', 0, spec.orders);
    let offset = 0;
    for (const part of spread(spec.orders, userIds.length)) {
      const users = userIds.slice(offset, offset + part.slots);
      const before = orders;
      await seedOrders(dbs.order, {
        userIds: users,
        products,
        ordersPerUser: part.perSlot,
        linesPerOrder: spec.linesPerOrder,
        onProgress: (done) => progress('orders', before + done, spec.orders),
      });
      offset += part.slots;
      orders += part.slots * part.perSlot;
    }
  }
  return { products: spec.products, userIds, carts, orders };
}
