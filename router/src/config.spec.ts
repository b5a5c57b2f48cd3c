import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@shop/runtime';
import { parseConfig, subgraphUrls } from './config';

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
  it('has a working local default for every setting', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 4000,
      AUTH_JWKS_URL: 'http://127.0.0.1:4002/.well-known/jwks.json',
      AUTH_ISSUER: 'shop-user-subgraph',
      AUTH_AUDIENCE: 'shop-supergraph',
      ROUTER_SIGNING_SECRETS: [],
      ROUTER_CORS_ORIGINS: [],
      ROUTER_MAX_BODY_BYTES: 100_000,
    });
    expect(config.ROUTER_INTROSPECTION).toBeUndefined();
    expect(config.ROUTER_SUPERGRAPH_PATH).toBe(resolve(__dirname, '../../schema/supergraph.graphql'));
    expect(subgraphUrls(config)).toEqual({
      product: 'http://127.0.0.1:4001/graphql',
      user: 'http://127.0.0.1:4002/graphql',
      cart: 'http://127.0.0.1:4003/graphql',
      order: 'http://127.0.0.1:4004/graphql',
    });
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
    expect(subgraphUrls(config).cart).toBe('https://cart.internal:8443/graphql');
  });

  it('names a bad port', () => {
    expect(problems({ PORT: 'eighty' })).toEqual([expect.stringMatching(/^PORT: .*\(got 'eighty'\)$/)]);
    expect(problems({ PORT: '70000' })[0]).toMatch(/^PORT: /);
  });

  it('names a bad URL', () => {
    expect(problems({ ROUTER_SUBGRAPH_USER_URL: 'not a url' })).toEqual([
      "ROUTER_SUBGRAPH_USER_URL: must be a URL starting with http: or https:// (got 'not a url')",
    ]);
    expect(problems({ AUTH_JWKS_URL: 'ftp://keys.example.com/jwks.json' })[0]).toMatch(/^AUTH_JWKS_URL: /);
  });

  it('reports every problem at once', () => {
    const found = problems({ PORT: '-1', NODE_ENV: 'staging', ROUTER_MAX_BODY_BYTES: '0', ROUTER_INTROSPECTION: 'yes', ROUTER_CORS_ORIGINS: 'https://shop.example.com/path' });
    expect(found.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'NODE_ENV', 'ROUTER_MAX_BODY_BYTES', 'ROUTER_INTROSPECTION', 'ROUTER_CORS_ORIGINS.0']),
    );
    expect(found).toHaveLength(5);
  });
});
