import { UsageError } from '../cli';
import { DEMO_DATASET, type DatasetSpec } from './dataset';

export const SEED_USAGE = `Usage: npm run seed -- [--products N] [--users N] [--orders N] [--cart-lines N] [--order-lines N]

Without flags: the demo dataset (${DEMO_DATASET.products} products and the demo accounts).
  --products N     products to add (each with its product.created event)
  --users N        customers to add, each with a cart
  --orders N       orders in total, spread over the new users (needs --users)
  --cart-lines N   lines in each new user's cart (default 3, at most 100)
  --order-lines N  lines in each order (default 3, at most 100)
The demo accounts are created when missing; NODE_ENV=production is refused.`;

const FLAGS = {
  '--products': 'products',
  '--users': 'users',
  '--orders': 'orders',
  '--cart-lines': 'cartLines',
  '--order-lines': 'linesPerOrder',
} as const satisfies Record<string, keyof DatasetSpec>;

const MAX_COUNT = 10_000_000;

/** Parses the seed CLI's flags; throws UsageError (exit 2) naming the bad one. */
export function parseSeedArgs(argv: string[]): DatasetSpec | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (argv.length === 0) return { ...DEMO_DATASET };
  const spec: DatasetSpec = { products: 0, users: 0, orders: 0, cartLines: 3, linesPerOrder: 3, demoAccounts: true };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!(flag in FLAGS)) throw new UsageError(`unknown argument '${arg}'\n\n${SEED_USAGE}`);
    if (seen.has(flag)) throw new UsageError(`${flag} is given twice`);
    seen.add(flag);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value (a positive integer)`);
    if (!/^[1-9][0-9]*$/.test(value) || Number(value) > MAX_COUNT) {
      throw new UsageError(`${flag} must be a positive integer up to ${MAX_COUNT} (got '${value}')`);
    }
    spec[FLAGS[flag as keyof typeof FLAGS]] = Number(value);
  }
  if (spec.cartLines > 100) throw new UsageError(`--cart-lines must be at most 100 (a cart's limit)`);
  if (spec.linesPerOrder > 100) throw new UsageError(`--order-lines must be at most 100 (an order's limit)`);
  if (spec.orders > 0 && spec.users === 0) throw new UsageError('--orders needs --users: orders are spread over the users this run adds');
  return spec;
}
