import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@shop/runtime';
import { parseConfig, subgraphTimeouts, subgraphUrls } from './config';

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('router config', () => {
  it('takes trusted proxies as addresses or CIDRs, and names an entry that is neither', () => {
    expect(parseConfig({ ROUTER_TRUSTED_PROXIES: '127.0.0.1/8, ::1,10.0.0.5' }).ROUTER_TRUSTED_PROXIES).toEqual(['127.0.0.1/8', '::1', '10.0.0.5']);
    expect(problems({ ROUTER_TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal' }).join('\n')).toContain("'proxy.internal'");
  });

  it('has a working local default for every setting', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 4000,
      AUTH_JWKS_URL: 'http://127.0.0.1:4002/.well-known/jwks.json',
      AUTH_ISSUER: 'shop-user-subgraph',
      AUTH_AUDIENCE: 'shop-supergraph',
      AUTH_JWKS_REFRESH_SECONDS: 600,
      AUTH_JWKS_STALE_SECONDS: 86_400,
      ROUTER_TRUSTED_PROXIES: [],
      ROUTER_SIGNING_SECRETS: [],
      ROUTER_CORS_ORIGINS: [],
      ROUTER_MAX_BODY_BYTES: 100_000,
      ROUTER_MAX_DEPTH: 12,
      ROUTER_MAX_ALIASES: 30,
      ROUTER_MAX_ROOT_FIELDS: 10,
      ROUTER_MAX_TOKENS: 3_000,
      ROUTER_MAX_COST: 10_000,
      ROUTER_COST_DEFAULT_LIST_SIZE: 10,
      ROUTER_COST_WEIGHTS: {},
      ROUTER_PERSISTED_QUERIES_MODE: 'off',
      ROUTER_APQ_TTL_SECONDS: 86_400,
      ROUTER_APQ_MAX_BYTES: 20_000,
      ROUTER_APQ_MAX_ENTRIES: 10_000,
      ROUTER_APQ_MAX_TOTAL_BYTES: 20_000_000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: '',
    });
    expect(config.ROUTER_INTROSPECTION).toBeUndefined();
    expect(config.ROUTER_SANDBOX).toBeUndefined();
    expect(config.ROUTER_PERSISTED_QUERIES_MANIFESTS).toEqual([resolve(__dirname, '../../schema/persisted-queries')]);
    expect(config.ROUTER_SUPERGRAPH_PATH).toBe(resolve(__dirname, '../../schema/supergraph.graphql'));
    expect(config.ROUTER_SUBGRAPH_TIMEOUT_MS).toBe(5_000);
    expect(subgraphTimeouts(config)).toEqual({ default: 5_000, subgraphs: {} });
    expect(config.ROUTER_REQUEST_TIMEOUT_MS).toBe(10_000);
    expect(config.ROUTER_BREAKER_FAILURES).toBe(5);
    expect(config.ROUTER_BREAKER_OPEN_SECONDS).toBe(5);
    // No subgraph URL by default: the supergraph's own URL for each subgraph is used.
    expect(subgraphUrls(config)).toEqual({});
  });

  it('reads lists, numbers, flags and paths from the environment', () => {
    const config = parseConfig({
      PORT: '8080',
      ROUTER_CORS_ORIGINS: 'https://shop.example.com, http://localhost:3000',
      ROUTER_SIGNING_SECRETS: 'a'.repeat(32) + ',' + 'b'.repeat(32),
      ROUTER_INTROSPECTION: 'false',
      ROUTER_SUPERGRAPH_PATH: 'some/dir/supergraph.graphql',
      ROUTER_SUBGRAPH_CART_URL: 'https://cart.internal:8443/graphql',
    });
    expect(config.PORT).toBe(8080);
    expect(config.ROUTER_CORS_ORIGINS).toEqual(['https://shop.example.com', 'http://localhost:3000']);
    expect(config.ROUTER_SIGNING_SECRETS).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    expect(config.ROUTER_INTROSPECTION).toBe(false);
    expect(config.ROUTER_SUPERGRAPH_PATH).toBe(resolve('some/dir/supergraph.graphql'));
    expect(subgraphUrls(config)).toEqual({ cart: ['https://cart.internal:8443/graphql'] });
  });

  it('reads each subgraph’s replicas as comma-separated URLs, blanks dropped; blank or unset leaves the supergraph’s URL', () => {
    const config = parseConfig({
      ROUTER_SUBGRAPH_PRODUCT_URL: 'http://10.0.0.1:4001/graphql, http://10.0.0.2:4001/graphql,,http://product-3:4001/graphql',
      ROUTER_SUBGRAPH_USER_URL: 'http://user:4002/graphql',
      ROUTER_SUBGRAPH_CART_URL: ' , ',
      ROUTER_SUBGRAPH_TIMEOUT_MS: '2500',
    });
    expect(subgraphUrls(config)).toEqual({
      product: ['http://10.0.0.1:4001/graphql', 'http://10.0.0.2:4001/graphql', 'http://product-3:4001/graphql'],
      user: ['http://user:4002/graphql'],
    });
    expect(config.ROUTER_SUBGRAPH_TIMEOUT_MS).toBe(2_500);
  });

  it('reads the subgraph timeout, each subgraph’s own where given (blank is unset), the request deadline and the breaker settings', () => {
    const config = parseConfig({
      ROUTER_SUBGRAPH_TIMEOUT_MS: '3000',
      ROUTER_SUBGRAPH_PRODUCT_TIMEOUT_MS: '800',
      ROUTER_SUBGRAPH_ORDER_TIMEOUT_MS: '12000',
      ROUTER_SUBGRAPH_CART_TIMEOUT_MS: '',
      ROUTER_REQUEST_TIMEOUT_MS: '15000',
      ROUTER_BREAKER_FAILURES: '3',
      ROUTER_BREAKER_OPEN_SECONDS: '10',
    });
    expect(subgraphTimeouts(config)).toEqual({ default: 3_000, subgraphs: { product: 800, order: 12_000 } });
    expect(config).toMatchObject({ ROUTER_REQUEST_TIMEOUT_MS: 15_000, ROUTER_BREAKER_FAILURES: 3, ROUTER_BREAKER_OPEN_SECONDS: 10 });
    expect(problems({ ROUTER_SUBGRAPH_USER_TIMEOUT_MS: '0' })[0]).toMatch(/^ROUTER_SUBGRAPH_USER_TIMEOUT_MS: /);
    expect(problems({ ROUTER_SUBGRAPH_CART_TIMEOUT_MS: 'soon' })[0]).toMatch(/^ROUTER_SUBGRAPH_CART_TIMEOUT_MS: /);
    expect(problems({ ROUTER_BREAKER_FAILURES: '0' })[0]).toMatch(/^ROUTER_BREAKER_FAILURES: /);
    expect(problems({ ROUTER_REQUEST_TIMEOUT_MS: '-5' })[0]).toMatch(/^ROUTER_REQUEST_TIMEOUT_MS: /);
  });

  it('audits persisted queries in production unless told otherwise', () => {
    expect(parseConfig({ NODE_ENV: 'production' }).ROUTER_PERSISTED_QUERIES_MODE).toBe('audit');
    expect(parseConfig({ NODE_ENV: 'test' }).ROUTER_PERSISTED_QUERIES_MODE).toBe('off');
    expect(parseConfig({ NODE_ENV: 'production', ROUTER_PERSISTED_QUERIES_MODE: 'safelist' }).ROUTER_PERSISTED_QUERIES_MODE).toBe('safelist');
  });

  it('reads limits, cost weights and manifest paths', () => {
    const config = parseConfig({
      ROUTER_MAX_DEPTH: '8',
      ROUTER_COST_WEIGHTS: 'Mutation.placeOrder=10, Query.products=2',
      ROUTER_PERSISTED_QUERIES_MANIFESTS: 'a/mobile.json,b',
      ROUTER_SANDBOX: 'true',
    });
    expect(config.ROUTER_MAX_DEPTH).toBe(8);
    expect(config.ROUTER_COST_WEIGHTS).toEqual({ 'Mutation.placeOrder': 10, 'Query.products': 2 });
    expect(config.ROUTER_PERSISTED_QUERIES_MANIFESTS).toEqual([resolve('a/mobile.json'), resolve('b')]);
    expect(config.ROUTER_SANDBOX).toBe(true);
  });

  it('names a bad mode, weight or limit', () => {
    expect(problems({ ROUTER_PERSISTED_QUERIES_MODE: 'strict' })[0]).toMatch(
      /^ROUTER_PERSISTED_QUERIES_MODE: .*'off' \| 'audit' \| 'safelist' \| 'require-id'/,
    );
    expect(problems({ ROUTER_COST_WEIGHTS: 'placeOrder=10' })).toEqual([
      "ROUTER_COST_WEIGHTS: 'placeOrder=10' is not Type.field=weight (a whole number) (got 'placeOrder=10')",
    ]);
    expect(problems({ ROUTER_MAX_COST: '0' })[0]).toMatch(/^ROUTER_MAX_COST: /);
  });

  it('names a bad port', () => {
    expect(problems({ PORT: 'eighty' })).toEqual([expect.stringMatching(/^PORT: .*\(got 'eighty'\)$/)]);
    expect(problems({ PORT: '70000' })[0]).toMatch(/^PORT: /);
  });

  it('names a bad URL', () => {
    expect(problems({ ROUTER_SUBGRAPH_USER_URL: 'not a url' })).toEqual([
      "ROUTER_SUBGRAPH_USER_URL: 'not a url' must be a URL starting with http: or https:// (got 'not a url')",
    ]);
    expect(problems({ ROUTER_SUBGRAPH_PRODUCT_URL: 'http://a:4001/graphql,ftp://b:4001/graphql' })).toEqual([
      "ROUTER_SUBGRAPH_PRODUCT_URL: 'ftp://b:4001/graphql' must be a URL starting with http: or https:// (got 'http://a:4001/graphql,ftp://b:4001/graphql')",
    ]);
    expect(problems({ ROUTER_SUBGRAPH_ORDER_URL: 'http://a:4004/graphql http://b:4004/graphql' })).toEqual([
      "ROUTER_SUBGRAPH_ORDER_URL: 'http://a:4004/graphql http://b:4004/graphql' must be a URL without spaces (separate replicas with commas) (got 'http://a:4004/graphql http://b:4004/graphql')",
    ]);
    expect(problems({ ROUTER_SUBGRAPH_CART_URL: 'http://a:4003/graphql,http://A:4003/graphql' })).toEqual([
      "ROUTER_SUBGRAPH_CART_URL: 'http://A:4003/graphql' is named twice (got 'http://a:4003/graphql,http://A:4003/graphql')",
    ]);
    expect(problems({ ROUTER_SUBGRAPH_TIMEOUT_MS: '0' })[0]).toMatch(/^ROUTER_SUBGRAPH_TIMEOUT_MS: /);
    expect(problems({ AUTH_JWKS_URL: 'ftp://keys.example.com/jwks.json' })[0]).toMatch(/^AUTH_JWKS_URL: /);
  });

  it('reports every problem at once', () => {
    const found = problems({
      PORT: '-1',
      NODE_ENV: 'staging',
      ROUTER_MAX_BODY_BYTES: '0',
      ROUTER_INTROSPECTION: 'yes',
      ROUTER_CORS_ORIGINS: 'https://shop.example.com/path',
    });
    expect(found.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'NODE_ENV', 'ROUTER_MAX_BODY_BYTES', 'ROUTER_INTROSPECTION', 'ROUTER_CORS_ORIGINS.0']),
    );
    expect(found).toHaveLength(5);
  });
});
