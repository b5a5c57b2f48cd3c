import { describe, expect, it } from 'vitest';
import { lineCents, sumCents } from './money';

describe('sumCents', () => {
  it('sums exactly and refuses totals beyond GraphQL Int', () => {
    expect(sumCents([2_000_000_000, 147_483_647])).toBe(2_147_483_647);
    expect(() => sumCents([2_000_000_000, 147_483_648])).toThrow(/larger/);
  });

  it('prices a line without floating point', () => {
    expect(lineCents(1999, 3)).toBe(5997);
    expect(() => lineCents(2_147_483_647, 2)).toThrow(/larger/);
  });
});
