import { BadUserInputError } from '@shop/runtime';
import type { CreateProductInput, UpdateProductInput } from './product.input';

/** The contract's bounds, checked before anything reaches SQL. */
export const LIMITS = {
  priceCents: { min: 1, max: 10_000_000 },
  stock: { min: 0, max: 1_000_000 },
  restock: { min: 1, max: 1_000_000 },
  sku: 64,
  name: 200,
  description: 5_000,
  category: 100,
  search: 200,
} as const;

const MAX_STOCK = 2_147_483_647;

/**
 * Product data is the same for every caller, so the router may let a CDN keep it briefly.
 * Short, because stock changes with every order; a price change reaches caches within this.
 * Every query answer of this subgraph is product data, so it is given per answer (see
 * publicQueryCachePlugin), not per field.
 */
export const PUBLIC_PRODUCT_MAX_AGE_SECONDS = 30;

export function intInRange(value: number, field: string, bounds: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new BadUserInputError(`'${field}' must be between ${bounds.min} and ${bounds.max}.`, field);
  }
  return value;
}

export function text(value: string, field: string, maxLength: number, allowEmpty = false): string {
  const trimmed = value.trim();
  if (!allowEmpty && trimmed.length === 0) throw new BadUserInputError(`'${field}' must not be empty.`, field);
  if (trimmed.length > maxLength) throw new BadUserInputError(`'${field}' must be at most ${maxLength} characters.`, field);
  return trimmed;
}

/** A filter: blank means none; longer than the bound is BAD_USER_INPUT. */
export function optionalText(value: string | null | undefined, field: string, maxLength: number): string | null {
  const trimmed = value?.trim();
  return trimmed ? text(trimmed, field, maxLength) : null;
}

export function parseSku(value: string): string {
  const sku = text(value, 'sku', LIMITS.sku);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(sku)) {
    throw new BadUserInputError("'sku' may contain only letters, digits, '.', '_' and '-'.", 'sku');
  }
  return sku;
}

export function validateCreate(input: CreateProductInput) {
  return {
    sku: parseSku(input.sku),
    name: text(input.name, 'name', LIMITS.name),
    description: text(input.description, 'description', LIMITS.description, true),
    category: text(input.category, 'category', LIMITS.category),
    price_cents: intInRange(input.priceCents, 'priceCents', LIMITS.priceCents),
    stock: intInRange(input.stock ?? 0, 'stock', LIMITS.stock),
  };
}

export function validateUpdate(input: UpdateProductInput) {
  const patch: { name?: string; description?: string; category?: string; price_cents?: number } = {};
  if (input.name != null) patch.name = text(input.name, 'name', LIMITS.name);
  if (input.description != null) patch.description = text(input.description, 'description', LIMITS.description, true);
  if (input.category != null) patch.category = text(input.category, 'category', LIMITS.category);
  if (input.priceCents != null) patch.price_cents = intInRange(input.priceCents, 'priceCents', LIMITS.priceCents);
  return patch;
}

export function validateRestock(current: number, quantity: number): number {
  intInRange(quantity, 'quantity', LIMITS.restock);
  if (current + quantity > MAX_STOCK) throw new BadUserInputError('That much stock cannot be stored for one product.', 'quantity');
  return quantity;
}
