import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { limitChecker, type QueryLimits } from './index';

const schema = buildSchema(`
  type Query { products(first: Int = 20): ProductConnection  product(id: ID!): Product }
  type ProductConnection { edges: [ProductEdge!]! }
  type ProductEdge { node: Product! }
  type Product { id: ID! related: [Product!]! }
`);
const limits: QueryLimits = { maxDepth: 12, maxAliases: 30, maxRootFields: 10, maxTokens: 3000, maxCost: 100, defaultListSize: 10, costWeights: {} };

describe('limitChecker', () => {
  it('gives the same verdict as a fresh check when it answers from memory', () => {
    const check = limitChecker(limits);
    const costly = parse('{ products(first: 50) { edges { node { related { id } } } } }');
    const cheap = parse('query($id: ID!) { product(id: $id) { id } }');
    for (let i = 0; i < 2; i++) {
      expect(check(costly, { schema })?.code).toBe('QUERY_TOO_COSTLY');
      expect(check(cheap, { schema, variables: { id: String(i) } })).toBeNull();
    }
  });

  it('checks again when the variables size a list', () => {
    const check = limitChecker(limits);
    const document = parse('query($n: Int) { products(first: $n) { edges { node { related { id } } } } }');
    expect(check(document, { schema, variables: { n: 2 } })).toBeNull();
    expect(check(document, { schema, variables: { n: 500 } })?.code).toBe('QUERY_TOO_COSTLY');
    expect(check(document, { schema, variables: { n: 2 } })).toBeNull();
  });

  it('keeps verdicts apart by operation name and by schema', () => {
    const check = limitChecker(limits);
    const document = parse('query Small { product(id: 1) { id } } query Big { products(first: 50) { edges { node { related { id } } } } }');
    expect(check(document, { schema, operationName: 'Small' })).toBeNull();
    expect(check(document, { schema, operationName: 'Big' })?.code).toBe('QUERY_TOO_COSTLY');
    // Without a schema `related` is not known to be a list: the estimate, and so the verdict, changes.
    const nested = parse('{ product(id: 1) { related { related { related { id } } } } }');
    expect(check(nested, { schema })?.code).toBe('QUERY_TOO_COSTLY');
    expect(check(nested, { schema: undefined })).toBeNull();
    expect(check(nested, { schema })?.code).toBe('QUERY_TOO_COSTLY');
  });
});
