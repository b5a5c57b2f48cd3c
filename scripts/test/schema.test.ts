import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeSdls, composeSupergraph, CompositionFailedError, type ComposedSupergraph } from '../src/schema/compose-supergraph';
import { contractProblems } from '../src/schema/contract';
import { SCHEMA_DIR } from '../src/paths';
import { SUBGRAPH_NAMES } from '../src/subgraphs';

const committed = (file: string) => {
  const path = join(SCHEMA_DIR, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : `(schema/${file} does not exist)`;
};
const contract = (name: string) => readFileSync(join(SCHEMA_DIR, 'contract', `${name}.graphql`), 'utf8');
const STALE = 'is stale: run `npm run compose` and commit schema/';

// Fails here, with every composition error listed, when the subgraphs no longer compose.
let composed: ComposedSupergraph;
beforeAll(async () => {
  composed = await composeSupergraph();
}, 120_000);

describe('schema/ as generated from the subgraphs', () => {
  it.each(SUBGRAPH_NAMES)('schema/%s.graphql is what the subgraph prints now', (name) => {
    const generated = composed.subgraphs.find((s) => s.name === name)!;
    expect(committed(`${name}.graphql`), `schema/${name}.graphql ${STALE}`).toBe(generated.sdl);
  });

  it('schema/supergraph.graphql is the composition of the four', () => {
    expect(committed('supergraph.graphql'), `schema/supergraph.graphql ${STALE}`).toBe(composed.supergraphSdl);
    for (const name of SUBGRAPH_NAMES) expect(composed.supergraphSdl).toContain(`http://127.0.0.1:${4001 + SUBGRAPH_NAMES.indexOf(name)}/graphql`);
  });

  it.each(SUBGRAPH_NAMES)('%s keeps its contract in schema/contract/', (name) => {
    const generated = composed.subgraphs.find((s) => s.name === name)!;
    expect(contractProblems(contract(name), generated.sdl)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const base = contract('product');

  it('a removed field, argument or type is a breaking change and missing', () => {
    const changed = base
      .replace('  category: String!\n  price: Money!', '  price: Money!')
      .replace(', search: String)', ')')
      .replace(/input UpdateProductInput \{[^}]*\}/, '')
      .replace(/\n.*\n {2}updateProduct\(.*\n/, '\n');
    const problems = contractProblems(base, changed);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FIELD_REMOVED: Product\.category/),
        expect.stringMatching(/^ARG_REMOVED: .*search/),
        'Product.category is missing',
        'Query.products(search:) is missing',
        'type UpdateProductInput is missing',
      ]),
    );
  });

  it('a changed nullability, default or entity key counts even where graphql-js sees no breaking change', () => {
    const changed = base
      .replace('productBySku(sku: String!)', 'productBySku(sku: String)')
      .replace('products(first: Int = 20', 'products(first: Int = 50')
      .replace(' @key(fields: "sku")', '');
    expect(contractProblems(base, changed)).toEqual([
      'Product lacks @key(fields: "sku")',
      'Query.productBySku(sku:) is String, the contract says String!',
      'Query.products(first:) defaults to 50, the contract says 20',
    ]);
  });

  it('additions keep the contract', () => {
    const added = base.replace('  stock: Int!\n', '  stock: Int!\n  weightGrams: Int\n').replace('type Query {', 'type Query {\n  categories: [String!]!');
    expect(contractProblems(base, added)).toEqual([]);
  });

  it('composition errors are reported, not swallowed', () => {
    const money = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Money { amountCents: Int! }\ntype Query { ';
    const attempt = () =>
      composeSdls([
        { name: 'product', url: 'http://127.0.0.1:4001/graphql', sdl: `${money}a: Money }` },
        { name: 'cart', url: 'http://127.0.0.1:4003/graphql', sdl: `${money}b: Money }` },
      ]);
    expect(attempt).toThrow(CompositionFailedError);
    expect(attempt).toThrow(/INVALID_FIELD_SHARING/);
  });
});
