import { BadUserInputError } from '@shop/runtime';
import { sumCents } from '@shop/domain';

/** The contract's bounds, checked before anything reaches SQL. */
export const LIMITS = {
  lineQuantity: { min: 1, max: 999 },
  setQuantity: { min: 0, max: 999 },
  lines: 100,
} as const;

export function quantityInRange(value: number, bounds: { min: number; max: number }, field = 'quantity'): number {
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new BadUserInputError(`'${field}' must be between ${bounds.min} and ${bounds.max}.`, field);
  }
  return value;
}

export interface LockedLine {
  productId: string;
  quantity: number;
  priceCents: number | null;
}

/**
 * Checks the cart a write would leave behind: at most 100 lines, each 1..999, and a subtotal
 * GraphQL's Int can carry (so the cart stays readable).
 */
export function checkResultingCart(lines: LockedLine[], productId: string, quantity: number, priceCents: number): void {
  const others = lines.filter((l) => l.productId !== productId);
  if (quantity > LIMITS.lineQuantity.max) {
    throw new BadUserInputError(`A cart line holds at most ${LIMITS.lineQuantity.max} units.`, 'quantity');
  }
  if (others.length + 1 > LIMITS.lines) {
    throw new BadUserInputError(`A cart holds at most ${LIMITS.lines} different products.`, 'productId');
  }
  sumCents([...others.map((l) => BigInt(l.priceCents ?? 0) * BigInt(l.quantity)), BigInt(priceCents) * BigInt(quantity)]);
}
