import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { costReadsVariables, estimateCost } from './cost';

const schema = buildSchema(`
  type Query { products(first: Int = 20, after: String): ProductConnection  product(id: ID!): Product  me: User }
  type Mutation { placeOrder(lines: Int): Order! }
  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
  type ProductEdge { cursor: String! node: Product! }
  type PageInfo { hasNextPage: Boolean! }
  type Product { id: ID! name: String! price: Money! tags: [String!]! related: [Product!]! }
  type Money { amountCents: Int! }
  type User { name: String! orders(first: Int = 20): OrderConnection }
  type OrderConnection { edges: [OrderEdge!]! }
  type OrderEdge { node: Order! }
  type Order { id: ID! items: [OrderItem!]! }
  type OrderItem { product: Product quantity: Int! }
`);

const cost = (query: string, options: Partial<Parameters<typeof estimateCost>[2]> = {}) =>
  estimateCost(parse(query), undefined, { schema, defaultListSize: 10, ...options });

describe('estimateCost', () => {
  it('charges object fields 1 and leaves 0', () => {
    expect(cost('{ product(id: 1) { id name } }')).toBe(1);
    expect(cost('{ product(id: 1) { id price { amountCents } } }')).toBe(2);
  });

  it('multiplies what runs per edge by first, and counts pageInfo once', () => {
    // products, pageInfo and edges run once; node and price once per edge
    expect(cost('{ products(first: 5) { pageInfo { hasNextPage } edges { node { price { amountCents } } } } }')).toBe(3 + 5 * 2);
  });

  it('takes first from a variable, the variable’s default, or the argument’s default', () => {
    const query = 'query($n: Int = 7) { products(first: $n) { edges { node { id } } } }';
    expect(cost(query, { variables: { n: 3 } })).toBe(2 + 3);
    expect(cost(query)).toBe(2 + 7);
    expect(cost('{ products { edges { node { id } } } }')).toBe(2 + 20);
  });

  it('assumes the default size for lists without first, and nests multipliers', () => {
    expect(cost('{ product(id: 1) { related { id } } }')).toBe(1 + 1);
    expect(cost('{ product(id: 1) { related { related { id } } } }')).toBe(1 + 1 + 10 * 1);
    // me, orders, edges once; per order: node, items, and 10 products
    expect(cost('{ me { orders(first: 10) { edges { node { items { product { id } } } } } } }')).toBe(3 + 10 * (1 + 1 + 10 * 1));
  });

  it('applies configured weights', () => {
    expect(cost('mutation { placeOrder { id } }')).toBe(1);
    expect(cost('mutation { placeOrder { id } }', { weights: { 'Mutation.placeOrder': 25 } })).toBe(25);
    expect(cost('{ product(id: 1) { name } }', { weights: { 'Product.name': 3 } })).toBe(4);
  });

  it('expands fragments and grows with repeated spreads, without exploding the walk', () => {
    const query = `
      query { products(first: 2) { edges { node { ...A ...A } } } }
      fragment A on Product { price { amountCents } }
    `;
    expect(cost(query)).toBe(2 + 2 * (1 + 1 + 1));
    const levels = 60;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Product { related { ...F${i + 1} ...F${i + 1} } }`).join('\n');
    const exploding = cost(`query { product(id: 1) { ...F0 } } ${fragments} fragment F${levels} on Product { id }`);
    expect(exploding).toBeGreaterThan(1e15);
  });

  it('works without a schema from first/last alone', () => {
    expect(estimateCost(parse('{ a(first: 4) { b { c } } }'), undefined, { defaultListSize: 10 })).toBe(1 + 4 * 1);
  });

  it('ignores introspection', () => {
    expect(cost('{ __schema { types { fields { name } } } }')).toBe(0);
  });
});

describe('costReadsVariables', () => {
  it('is true only when a first or last argument is a variable, in an operation or a fragment', () => {
    expect(costReadsVariables(parse('query($n: Int) { products(first: $n) { edges { node { id } } } }'))).toBe(true);
    expect(costReadsVariables(parse('query($n: Int) { ...F } fragment F on Query { me { orders(last: $n) { edges { node { id } } } } }'))).toBe(true);
    expect(costReadsVariables(parse('query($id: ID!) { product(id: $id) { id } products(first: 5) { edges { node { id } } } }'))).toBe(false);
  });
});
