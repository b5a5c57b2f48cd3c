import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRun, subgraphRequest, TEST_SIGNING_SECRET } from '@shop/testing';
import { signRequest } from '@shop/runtime';
import { createProductApp, type ProductApp } from '../src/app';
import { parseConfig } from '../src/config';

const run = createTestRun();
let app: ProductApp;
const admin = { userId: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' as const };
const customer = { userId: '00000000-0000-4000-8000-000000000002', role: 'CUSTOMER' as const };

const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { id sku name category price { amountCents currency } stock createdAt }
}`;
const PRODUCT_FIELDS = 'id sku name price { amountCents } stock';

let seq = 0;
function productInput(overrides: Record<string, unknown> = {}) {
  seq += 1;
  return { sku: `SKU-T${seq}`, name: `Thing ${seq}`, description: 'A test thing', category: 'tests', priceCents: 1000 + seq, stock: 10, ...overrides };
}

async function createProduct(overrides: Record<string, unknown> = {}) {
  const res = await subgraphRequest(app.url, CREATE, { input: productInput(overrides) }, admin);
  expect(res.errors).toBeUndefined();
  return res.data.createProduct as { id: string; sku: string; name: string };
}

const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  app = await createProductApp(parseConfig(run.env('product')));
});
afterAll(async () => {
  await app?.stop();
  await run.cleanup();
});

describe('migrations', () => {
  it('creates the products, reservations, outbox and inbox tables in a new database', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(app.deps.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['inbox', 'kysely_migration', 'outbox', 'products', 'reservations']));
  });
});

describe('createProduct', () => {
  it('lets an admin create a product and records a product.created event in the outbox', async () => {
    const res = await subgraphRequest(app.url, CREATE, { input: productInput({ sku: 'NEW-1', priceCents: 2500, stock: 7 }) }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data.createProduct).toMatchObject({ sku: 'NEW-1', price: { amountCents: 2500, currency: 'USD' }, stock: 7 });
    const events = await app.deps.db.selectFrom('outbox').selectAll().where('aggregate_id', '=', res.data.createProduct.id).execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'product.created', version: 1 });
    expect(events[0]!.payload).toMatchObject({ sku: 'NEW-1', priceCents: 2500, version: 1 });
  });

  it('refuses customers with FORBIDDEN and anonymous callers with UNAUTHENTICATED', async () => {
    expect(codeOf(await subgraphRequest(app.url, CREATE, { input: productInput() }, customer))).toBe('FORBIDDEN');
    expect(codeOf(await subgraphRequest(app.url, CREATE, { input: productInput() }, null))).toBe('UNAUTHENTICATED');
  });

  it('answers a duplicate sku with CONFLICT', async () => {
    const first = await createProduct();
    const res = await subgraphRequest(app.url, CREATE, { input: productInput({ sku: first.sku }) }, admin);
    expect(codeOf(res)).toBe('CONFLICT');
  });

  it.each([
    ['priceCents', 0],
    ['priceCents', 10_000_001],
    ['stock', -1],
    ['stock', 1_000_001],
    ['sku', '   '],
    ['name', ''],
  ])('refuses %s = %j with BAD_USER_INPUT', async (field, value) => {
    const res = await subgraphRequest(app.url, CREATE, { input: productInput({ [field]: value }) }, admin);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });
});

describe('reads', () => {
  it('finds a product by id and by sku; a malformed id is BAD_USER_INPUT, an unknown one null', async () => {
    const p = await createProduct();
    const byId = await subgraphRequest(app.url, `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id: p.id });
    expect(byId.data.product).toMatchObject({ id: p.id, sku: p.sku });
    const bySku = await subgraphRequest(app.url, `query($sku: String!) { productBySku(sku: $sku) { id } }`, { sku: p.sku });
    expect(bySku.data.productBySku.id).toBe(p.id);
    const malformed = await subgraphRequest(app.url, `{ product(id: "nope") { id } }`);
    expect(codeOf(malformed)).toBe('BAD_USER_INPUT');
    const unknown = await subgraphRequest(app.url, `{ product(id: "6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f") { id } }`);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.product).toBeNull();
  });

  it('pages through products newest first, filtered by category and search', async () => {
    const category = `paging-${Date.now()}`;
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createProduct({ category, name: `Pager ${i}` })).id);
    const PAGE = `query($after: String, $category: String) {
      products(first: 2, after: $after, category: $category) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
    }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res: any = await subgraphRequest(app.url, PAGE, { after, category });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.products.edges.map((e: any) => e.node.id));
      after = res.data.products.pageInfo.endCursor;
      expect(res.data.products.pageInfo.hasNextPage).toBe(page < 2);
    }
    expect(seen).toEqual([...created].reverse());

    const search = await subgraphRequest(app.url, `query($c: String) { products(category: $c, search: "pager 3") { edges { node { name } } } }`, {
      c: category,
    });
    expect(search.data.products.edges.map((e: any) => e.node.name)).toEqual(['Pager 3']);
  });

  it.each([0, 101])('refuses first = %i with BAD_USER_INPUT', async (first) => {
    const res = await subgraphRequest(app.url, `query($first: Int) { products(first: $first) { edges { cursor } } }`, { first });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses NUL characters and overlong filters with BAD_USER_INPUT, not an internal error', async () => {
    const bySku = await subgraphRequest(app.url, `query($sku: String!) { productBySku(sku: $sku) { id } }`, { sku: 'A\u0000B' });
    expect(codeOf(bySku)).toBe('BAD_USER_INPUT');
    const literal = await subgraphRequest(app.url, `{ products(search: "a\\u0000b") { edges { cursor } } }`);
    expect(codeOf(literal)).toBe('BAD_USER_INPUT');
    const create = await subgraphRequest(app.url, CREATE, { input: productInput({ name: 'Nul\u0000name' }) }, admin);
    expect(codeOf(create)).toBe('BAD_USER_INPUT');
    const long = await subgraphRequest(app.url, `query($s: String) { products(search: $s) { edges { cursor } } }`, { s: 'x'.repeat(201) });
    expect(codeOf(long)).toBe('BAD_USER_INPUT');
  });

  it('refuses a forged cursor with BAD_USER_INPUT', async () => {
    const res = await subgraphRequest(app.url, `{ products(after: "garbage") { edges { cursor } } }`);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const farPast = Buffer.from('-100000-01-01T00:00:00.000Z|6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f').toString('base64url');
    const outOfRange = await subgraphRequest(app.url, `query($after: String) { products(after: $after) { edges { cursor } } }`, { after: farPast });
    expect(codeOf(outOfRange)).toBe('BAD_USER_INPUT');
  });
});

describe('updateProduct and restockProduct', () => {
  it('changes the price, bumps the version and records product.price-changed', async () => {
    const p = await createProduct({ priceCents: 1000 });
    const res = await subgraphRequest(
      app.url,
      `mutation($id: ID!) { updateProduct(id: $id, input: { priceCents: 1500 }) { price { amountCents } } }`,
      { id: p.id },
      admin,
    );
    expect(res.data.updateProduct.price.amountCents).toBe(1500);
    const events = await app.deps.db.selectFrom('outbox').selectAll().where('aggregate_id', '=', p.id).orderBy('version').execute();
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['product.created', 1],
      ['product.price-changed', 2],
    ]);
  });

  it('is ADMIN only, NOT_FOUND for an unknown id, BAD_USER_INPUT for a bad price', async () => {
    const p = await createProduct();
    const update = `mutation($id: ID!, $price: Int) { updateProduct(id: $id, input: { priceCents: $price }) { id } }`;
    expect(codeOf(await subgraphRequest(app.url, update, { id: p.id, price: 5 }, customer))).toBe('FORBIDDEN');
    expect(codeOf(await subgraphRequest(app.url, update, { id: '6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f', price: 5 }, admin))).toBe('NOT_FOUND');
    expect(codeOf(await subgraphRequest(app.url, update, { id: p.id, price: 0 }, admin))).toBe('BAD_USER_INPUT');
  });

  it('restocks 1..1000000 units', async () => {
    const p = await createProduct({ stock: 3 });
    const restock = `mutation($id: ID!, $q: Int!) { restockProduct(id: $id, quantity: $q) { stock } }`;
    expect((await subgraphRequest(app.url, restock, { id: p.id, q: 4 }, admin)).data.restockProduct.stock).toBe(7);
    expect(codeOf(await subgraphRequest(app.url, restock, { id: p.id, q: 0 }, admin))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraphRequest(app.url, restock, { id: p.id, q: 1_000_001 }, admin))).toBe('BAD_USER_INPUT');
    expect(codeOf(await subgraphRequest(app.url, restock, { id: p.id, q: 4 }, customer))).toBe('FORBIDDEN');
  });
});

describe('_entities', () => {
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name } } }`;

  it('resolves products by id and by sku, null for unknown or malformed ids', async () => {
    const a = await createProduct();
    const b = await createProduct();
    const res = await subgraphRequest(app.url, ENTITIES, {
      r: [
        { __typename: 'Product', id: a.id },
        { __typename: 'Product', sku: b.sku },
        { __typename: 'Product', id: '6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f' },
        { __typename: 'Product', id: 'not-a-uuid' },
      ],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([{ id: a.id, sku: a.sku, name: a.name }, { id: b.id, sku: b.sku, name: b.name }, null, null]);
  });

  it.each([1, 10, 100])('batches %i representations into one SQL statement', async (count) => {
    const ids = (await app.deps.db.selectFrom('products').select('id').limit(count).execute()).map((r) => r.id);
    while (ids.length < count) ids.push((await createProduct()).id);
    const res = await subgraphRequest(app.url, ENTITIES, { r: ids.map((id) => ({ __typename: 'Product', id })) });
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((p: any) => p.id)).toEqual(ids);
    expect(res.headers.get('x-sql-statements')).toBe('1');
  });
});

describe('cache hints for the router', () => {
  it('marks a successful query public for 30 s, and neither a mutation nor an answer with errors', async () => {
    const p = await createProduct();
    const query = await subgraphRequest(app.url, `query($id: ID!) { product(id: $id) { id price { amountCents } } }`, { id: p.id });
    expect(query.errors).toBeUndefined();
    expect(query.headers.get('cache-control')).toBe('public, max-age=30');
    const entities = await subgraphRequest(app.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, {
      r: [{ __typename: 'Product', id: p.id }],
    });
    expect(entities.headers.get('cache-control')).toBe('public, max-age=30');

    const mutation = await subgraphRequest(
      app.url,
      CREATE,
      { input: { sku: `HINT-${Date.now()}`, name: 'Hint', description: '', category: 'hint', priceCents: 100, stock: 1 } },
      admin,
    );
    expect(mutation.errors).toBeUndefined();
    expect(mutation.headers.get('cache-control')).toBeNull();
    const refused = await subgraphRequest(app.url, `{ products(first: 0) { edges { cursor } } }`);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.headers.get('cache-control')).toBeNull();
  });
});

describe('router proof', () => {
  const body = JSON.stringify({ query: '{ products { edges { cursor } } }' });

  it('refuses a request without the router signature', async () => {
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(401);
    expect((await res.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a signature made with another secret, or too old, or over another body', async () => {
    const post = (headers: Record<string, string>, sent = body) =>
      fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: sent });
    const sign = (overrides: Partial<Parameters<typeof signRequest>[1]> = {}, secret = TEST_SIGNING_SECRET) =>
      signRequest(secret, { audience: 'product', identity: null, body, ...overrides });
    expect((await post(sign({}, 'another-secret-another-secret-another'))).status).toBe(401);
    expect((await post(sign({ now: Date.now() - 10 * 60_000 }))).status).toBe(401);
    expect((await post(sign({ body: '{"query":"{ __typename }"}' }))).status).toBe(401);
    expect((await post(sign({ audience: 'user' }))).status).toBe(401);
    expect((await post({ ...sign({ identity: customer }), 'x-shop-user-role': 'ADMIN' })).status).toBe(401);
    expect((await post(sign())).status).toBe(200);
  });

  it('refuses a signed request replayed as a GET with another query', async () => {
    const query = encodeURIComponent('{ products(first: 1) { edges { cursor } } }');
    const res = await fetch(`${app.url}?query=${query}`, {
      method: 'GET',
      headers: { 'apollo-require-preflight': 'true', ...signRequest(TEST_SIGNING_SECRET, { audience: 'product', identity: admin, body: '' }) },
    });
    expect(res.status).toBe(401);
  });

  it('serves health and metrics without proof', async () => {
    const base = app.url.replace('/graphql', '');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', rabbitmq: 'ok' } });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('graphql_request_duration_seconds');
  });
});
