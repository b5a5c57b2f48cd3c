import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, subgraphRequest } from '@shop/testing';
import { createProductApp, type ProductApp } from '../src/app';
import { parseConfig } from '../src/config';

const run = createTestRun();
let app: ProductApp;
const admin = { userId: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' as const };

beforeAll(async () => {
  app = await createProductApp(parseConfig(run.env('product')));
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

describe('product subgraph smoke', () => {
  it('creates and reads a product', async () => {
    const created = await subgraphRequest(
      app.url,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku price { amountCents currency } stock } }`,
      { input: { sku: 'SMOKE-1', name: 'Smoke', description: 'd', category: 'c', priceCents: 500, stock: 3 } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createProduct).toMatchObject({ sku: 'SMOKE-1', price: { amountCents: 500, currency: 'USD' }, stock: 3 });
  });
});
