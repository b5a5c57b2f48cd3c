import { describe, expect, it } from 'vitest';
import { requestHash, validatePlaceOrder } from './order.rules';

const A = '0f9d1c2e-8a4b-4c3d-9e8f-000000000001';
const B = '0f9d1c2e-8a4b-4c3d-9e8f-000000000002';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  return undefined;
};

describe('placeOrder rules', () => {
  it('accepts a valid request and lowercases product ids', () => {
    const valid = validatePlaceOrder({ idempotencyKey: 'k', items: [{ productId: A.toUpperCase(), quantity: 999 }] });
    expect(valid).toEqual({ idempotencyKey: 'k', lines: [{ productId: A, quantity: 999 }], expectedTotalCents: null });
  });

  it.each([
    ['an empty key', { idempotencyKey: '', items: [{ productId: A, quantity: 1 }] }],
    ['a key of 101 characters', { idempotencyKey: 'k'.repeat(101), items: [{ productId: A, quantity: 1 }] }],
    ['a key with a NUL character', { idempotencyKey: 'a\u0000b', items: [{ productId: A, quantity: 1 }] }],
    ['no lines', { idempotencyKey: 'k', items: [] }],
    ['101 lines', { idempotencyKey: 'k', items: Array.from({ length: 101 }, () => ({ productId: A, quantity: 1 })) }],
    [
      'a duplicate product (any case)',
      {
        idempotencyKey: 'k',
        items: [
          { productId: A, quantity: 1 },
          { productId: A.toUpperCase(), quantity: 2 },
        ],
      },
    ],
    ['quantity 0', { idempotencyKey: 'k', items: [{ productId: A, quantity: 0 }] }],
    ['quantity 1000', { idempotencyKey: 'k', items: [{ productId: A, quantity: 1000 }] }],
    ['a malformed product id', { idempotencyKey: 'k', items: [{ productId: 'not-an-id', quantity: 1 }] }],
  ])('refuses %s with BAD_USER_INPUT', (_name, input) => {
    expect(codeOf(() => validatePlaceOrder(input))).toBe('BAD_USER_INPUT');
  });

  it('hashes the same lines the same way whatever their order, and different lines differently', () => {
    const one = requestHash([
      { productId: A, quantity: 1 },
      { productId: B, quantity: 2 },
    ]);
    expect(
      requestHash([
        { productId: B, quantity: 2 },
        { productId: A.toUpperCase(), quantity: 1 },
      ]),
    ).toBe(one);
    expect(
      requestHash([
        { productId: A, quantity: 2 },
        { productId: B, quantity: 1 },
      ]),
    ).not.toBe(one);
  });
});
