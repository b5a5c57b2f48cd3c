import type { DatasetSpec } from '../seed/dataset';

export const OPERATION_IDS = ['products-20', 'products-100', 'product-by-sku', 'my-cart-50', 'my-orders-20', 'four-subgraphs'] as const;
export type OperationId = (typeof OPERATION_IDS)[number];

/** Whose token a request carries: none, one of the rotated bench users, or bench-user-1 (the 50-line cart). */
export type Caller = 'anonymous' | 'rotating-users' | 'big-cart-user';

export interface Operation {
  id: OperationId;
  title: string;
  query: string;
  caller: Caller;
  /** Rotated per request: a different product's sku. */
  rotatesSku: boolean;
  /** Also run straight against the product subgraph, to measure the router's overhead. */
  direct: boolean;
  /** Why an answer without GraphQL errors is still not the expected one; null when it is. */
  check(data: any, dataset: DatasetSpec, bigCartLines: number): string | null;
}

const PRODUCT_FIELDS = 'id sku name category price { amountCents currency } stock';

const productsQuery = (first: number) =>
  `query BenchProducts${first} { products(first: ${first}) { edges { cursor node { ${PRODUCT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

const allProducts = (items: Array<{ product: unknown }>) => items.every((item) => item.product !== null);

function checkProducts(first: number) {
  return (data: any, dataset: DatasetSpec) => {
    const expected = Math.min(first, dataset.products);
    const got = data?.products?.edges?.length;
    return got === expected ? null : `expected ${expected} products, got ${got}`;
  };
}

export const OPERATIONS: readonly Operation[] = [
  {
    id: 'products-20',
    title: 'products list (first 20)',
    query: productsQuery(20),
    caller: 'anonymous',
    rotatesSku: false,
    direct: true,
    check: checkProducts(20),
  },
  {
    id: 'products-100',
    title: 'products list (first 100)',
    query: productsQuery(100),
    caller: 'anonymous',
    rotatesSku: false,
    direct: true,
    check: checkProducts(100),
  },
  {
    id: 'product-by-sku',
    title: 'product by sku',
    query: `query BenchProductBySku($sku: String!) { productBySku(sku: $sku) { ${PRODUCT_FIELDS} description } }`,
    caller: 'anonymous',
    rotatesSku: true,
    direct: true,
    check: (data) => (data?.productBySku?.sku ? null : 'productBySku returned null'),
  },
  {
    id: 'my-cart-50',
    title: 'my cart with 50 products',
    query:
      'query BenchMyCart { myCart { id totalQuantity subtotal { amountCents currency } ' +
      'items { quantity unitPrice { amountCents } lineTotal { amountCents } product { id name price { amountCents } stock } } } }',
    caller: 'big-cart-user',
    rotatesSku: false,
    direct: false,
    check: (data, _dataset, bigCartLines) => {
      const items = data?.myCart?.items;
      if (!Array.isArray(items) || items.length !== bigCartLines) return `expected ${bigCartLines} cart lines, got ${items?.length}`;
      return allProducts(items) ? null : 'a cart line has no product';
    },
  },
  {
    id: 'my-orders-20',
    title: 'my orders (last 20) with lines and products',
    query:
      'query BenchMyOrders { myOrders(first: 20) { edges { node { id status createdAt total { amountCents } ' +
      'items { productName quantity unitPrice { amountCents } product { id name } } } } pageInfo { hasNextPage } } }',
    caller: 'rotating-users',
    rotatesSku: false,
    direct: false,
    check: (data, dataset) => {
      const edges = data?.myOrders?.edges;
      if (!Array.isArray(edges)) return 'myOrders returned no connection';
      if (dataset.orders > 0 && edges.length === 0) return 'the user has no orders';
      return edges.every((edge: any) => allProducts(edge.node.items)) ? null : 'an order line has no product';
    },
  },
  {
    id: 'four-subgraphs',
    title: 'me + cart + orders (four subgraphs)',
    query:
      'query BenchFourSubgraphs { me { name cart { items { quantity product { name price { amountCents } stock } } } ' +
      'orders(first: 20) { edges { node { status total { amountCents } items { productName quantity product { name } } } } } } }',
    caller: 'rotating-users',
    rotatesSku: false,
    direct: false,
    check: (data, dataset) => {
      const me = data?.me;
      if (!me?.name) return 'me returned null';
      if (!Array.isArray(me.cart?.items) || me.cart.items.length === 0) return 'the cart has no lines';
      if (dataset.orders > 0 && !(me.orders?.edges?.length > 0)) return 'the user has no orders';
      const lines = [...me.cart.items, ...me.orders.edges.flatMap((edge: any) => edge.node.items)];
      return allProducts(lines) ? null : 'a line has no product';
    },
  },
];

/**
 * What each subgraph reads for the four-subgraph query, one SQL statement at most for each
 * (docs/rules.md: one statement per entity type per tick): the target for a cold request.
 */
export const FOUR_SUBGRAPH_ENTITY_TYPES: Record<'product' | 'user' | 'cart' | 'order', string[]> = {
  product: ['Product'],
  user: ['User'],
  cart: ['Cart with its lines', 'product price projection'],
  order: ['Order (newest of the user)', 'order lines'],
};
