import { describe, expect, it } from 'vitest';
import { parseSku, validateCreate, validateRestock, validateUpdate } from './product.rules';

const input = { sku: ' ABC-1 ', name: ' Lamp ', description: '', category: 'home', priceCents: 100, stock: 0 };

describe('product rules', () => {
  it('trims text and keeps values inside the contract bounds', () => {
    expect(validateCreate(input)).toEqual({ sku: 'ABC-1', name: 'Lamp', description: '', category: 'home', price_cents: 100, stock: 0 });
    expect(() => validateCreate({ ...input, priceCents: 10_000_001 })).toThrow(/priceCents/);
    expect(() => validateCreate({ ...input, stock: 1.5 })).toThrow(/stock/);
  });

  it('refuses skus with spaces or symbols', () => {
    expect(() => parseSku('A B')).toThrow(/sku/);
    expect(() => parseSku('ÄBC')).toThrow(/sku/);
  });

  it('patches only the given fields', () => {
    expect(validateUpdate({ priceCents: 5 })).toEqual({ price_cents: 5 });
    expect(validateUpdate({ name: null })).toEqual({});
  });

  it('refuses a restock that would overflow the stock column', () => {
    expect(validateRestock(10, 5)).toBe(5);
    expect(() => validateRestock(2_147_000_000, 1_000_000)).toThrow(/stock/);
  });
});
