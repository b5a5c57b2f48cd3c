import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ProductPriced } from '@shop/contracts';
import { subgraphRequest, type GraphQLResponse } from '@shop/testing';
import type { CartApp } from '../src/app';

export const admin = { userId: '00000000-0000-4000-8000-00000000000a', role: 'ADMIN' as const };

/** A fresh customer per test, so tests never share a cart. */
export const customer = () => ({ userId: randomUUID(), role: 'CUSTOMER' as const });

export type Caller = ReturnType<typeof customer> | typeof admin | null;

let seq = 0;
export function pricedProduct(priceCents: number, version = 1): ProductPriced {
  seq += 1;
  return { productId: randomUUID(), sku: `SKU-C${seq}`, name: `Cart thing ${seq}`, priceCents, version };
}

export const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

export const CART =
  'id items { product { id } quantity unitPrice { amountCents currency } lineTotal { amountCents currency } } totalQuantity subtotal { amountCents currency } updatedAt';

export interface CartView {
  id: string;
  items: Array<{ product: { id: string }; quantity: number; unitPrice: { amountCents: number }; lineTotal: { amountCents: number } }>;
  totalQuantity: number;
  subtotal: { amountCents: number; currency: string };
  updatedAt: string | null;
}

export async function myCart(app: CartApp, caller: Caller): Promise<CartView> {
  const res = await subgraphRequest(app.url, `{ myCart { ${CART} } }`, {}, caller);
  expect(res.errors).toBeUndefined();
  return res.data.myCart;
}

export async function addToCart(app: CartApp, caller: Caller, productId: string, quantity?: number) {
  const args = quantity === undefined ? '(productId: $id)' : '(productId: $id, quantity: $q)';
  const vars = quantity === undefined ? '$id: ID!' : '$id: ID!, $q: Int!';
  return subgraphRequest(app.url, `mutation(${vars}) { addToCart${args} { ${CART} } }`, { id: productId, q: quantity }, caller);
}

export async function setQuantity(app: CartApp, caller: Caller, productId: string, quantity: number) {
  return subgraphRequest(
    app.url,
    `mutation($id: ID!, $q: Int!) { setCartItemQuantity(productId: $id, quantity: $q) { ${CART} } }`,
    { id: productId, q: quantity },
    caller,
  );
}

export const quantities = (cart: CartView) => Object.fromEntries(cart.items.map((i) => [i.product.id, i.quantity]));
