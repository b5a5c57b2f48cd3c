import { createHash } from 'node:crypto';
import { BadUserInputError, isUuid, parseId } from '@shop/runtime';
import type { PlaceOrderInput } from './order.input';

/** The contract's bounds, checked before anything reaches SQL. */
export const LIMITS = {
  idempotencyKey: { min: 1, max: 100 },
  lines: { min: 1, max: 100 },
  quantity: { min: 1, max: 999 },
} as const;

export interface RequestedLine {
  productId: string;
  quantity: number;
}

export interface ValidPlaceOrder {
  idempotencyKey: string;
  lines: RequestedLine[];
  expectedTotalCents: number | null;
}

export function validatePlaceOrder(input: PlaceOrderInput): ValidPlaceOrder {
  const key = input.idempotencyKey;
  if (key.length < LIMITS.idempotencyKey.min || key.length > LIMITS.idempotencyKey.max) {
    throw new BadUserInputError(`'idempotencyKey' must be ${LIMITS.idempotencyKey.min} to ${LIMITS.idempotencyKey.max} characters.`, 'idempotencyKey');
  }
  // Postgres text cannot hold NUL; refused here rather than failing in SQL.
  if (key.includes('\u0000')) throw new BadUserInputError("'idempotencyKey' must not contain NUL characters.", 'idempotencyKey');
  const items = input.items;
  if (items.length < LIMITS.lines.min) throw new BadUserInputError('An order needs at least one line.', 'items');
  if (items.length > LIMITS.lines.max) throw new BadUserInputError(`An order has at most ${LIMITS.lines.max} lines.`, 'items');
  const seen = new Set<string>();
  const lines = items.map((item, i) => {
    const productId = parseId(item.productId, `items[${i}].productId`);
    if (seen.has(productId)) {
      throw new BadUserInputError('Each product may appear on one line only; add up the quantities instead.', `items[${i}].productId`);
    }
    seen.add(productId);
    const { quantity } = item;
    if (!Number.isInteger(quantity) || quantity < LIMITS.quantity.min || quantity > LIMITS.quantity.max) {
      throw new BadUserInputError(`'quantity' must be between ${LIMITS.quantity.min} and ${LIMITS.quantity.max}.`, `items[${i}].quantity`);
    }
    return { productId, quantity };
  });
  return { idempotencyKey: key, lines, expectedTotalCents: input.expectedTotalCents ?? null };
}

/**
 * What makes two placeOrder requests "the same request": their lines, in a canonical order
 * (by product id), so the order the client listed them in does not matter.
 */
export function requestHash(lines: readonly RequestedLine[]): string {
  const canonical = [...lines].map((l) => [l.productId.toLowerCase(), l.quantity] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Keyset cursor whose id is checked too, so a forged cursor is BAD_USER_INPUT, not a SQL error. */
export function checkCursorId(id: string): string {
  if (!isUuid(id)) throw new BadUserInputError("'after' is not a valid cursor.", 'after');
  return id.toLowerCase();
}
