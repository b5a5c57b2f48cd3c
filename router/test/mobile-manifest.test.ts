import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { parseManifest } from '../src/persisted-queries/manifest';
import { startRouter, tempDir } from './fixtures';

const ROOT = resolve(__dirname, '../..');
const MANIFEST = join(ROOT, 'schema/persisted-queries/mobile.json');

describe('the mobile client’s persisted query manifest', () => {
  const files = tempDir();
  let router: RouterApp;

  beforeAll(async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    router = await startRouter({
      ROUTER_PERSISTED_QUERIES_MODE: 'require-id',
      ROUTER_SUBGRAPH_PRODUCT_URL: nowhere,
      ROUTER_SUBGRAPH_USER_URL: nowhere,
      ROUTER_SUBGRAPH_CART_URL: nowhere,
      ROUTER_SUBGRAPH_ORDER_URL: nowhere,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    });
  });

  afterAll(async () => {
    await router?.stop();
    files.remove();
  });

  it('is what `npm run persisted-queries` makes from clients/mobile/operations', async () => {
    const output = join(files.dir, 'mobile.json');
    const config = files.file('config.json', JSON.stringify({ documents: ['clients/mobile/operations/**/*.graphql'], output }));
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/generate-persisted-query-manifest'), ['--config', config], { cwd: ROOT });
    expect(readFileSync(output, 'utf8')).toBe(readFileSync(MANIFEST, 'utf8'));
  });

  it('validates against the supergraph and stays within the default limits, at the largest page size', async () => {
    const variables: Record<string, Record<string, unknown>> = {
      Products: { first: 100 },
      ProductBySku: { sku: 'SKU-1' },
      MyCart: {},
      AddToCart: { productId: randomUUID(), quantity: 2 },
      PlaceOrder: { input: { idempotencyKey: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }] } },
      MyOrders: { first: 100 },
    };
    const operations = parseManifest(readFileSync(MANIFEST, 'utf8'), MANIFEST);
    expect(operations.map((o) => o.name).sort()).toEqual(Object.keys(variables).sort());
    for (const operation of operations) {
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ variables: variables[operation.name], extensions: { persistedQuery: { version: 1, sha256Hash: operation.id } } }),
      });
      const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      // Admitted, parsed, validated and planned: only the (absent) subgraphs fail it.
      const codes = new Set(body.errors?.map((e) => e.extensions?.code));
      expect({ operation: operation.name, status: response.status, codes: [...codes] }).toEqual({
        operation: operation.name,
        status: 200,
        codes: ['SERVICE_UNAVAILABLE'],
      });
    }
  });
});
