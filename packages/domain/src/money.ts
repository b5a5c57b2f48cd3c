import { BadUserInputError } from '@shop/runtime';

const MAX_INT = 2_147_483_647n;

/** Sums cents exactly and refuses a total GraphQL's Int cannot carry. */
export function sumCents(amounts: Iterable<bigint | number>): number {
  let total = 0n;
  for (const amount of amounts) total += BigInt(amount);
  if (total > MAX_INT || total < -MAX_INT) {
    throw new BadUserInputError('The total is larger than this shop can represent.');
  }
  return Number(total);
}

export function lineCents(unitCents: number, quantity: number): number {
  return sumCents([BigInt(unitCents) * BigInt(quantity)]);
}
