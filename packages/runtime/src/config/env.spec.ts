import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from './env';
import { serviceEnvSchema } from './service';

const schema = serviceEnvSchema({ port: 4001, database: 'shop_product' });

describe('serviceEnvSchema', () => {
  it('has a working local default for every setting', () => {
    const config = parseEnv(schema, {});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 4001,
      POSTGRES_DB: 'shop_product',
      REDIS_URL: 'redis://127.0.0.1:6379',
      RABBITMQ_EXCHANGE: 'shop.events',
      SHOP_CURRENCY: 'USD',
      ROUTER_SIGNING_SECRETS: [],
    });
  });

  it('reports every bad value by name', () => {
    try {
      parseEnv(schema, { PORT: 'eighty', REDIS_URL: 'http://nope', SHOP_CURRENCY: 'dollars', NODE_ENV: 'staging' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'REDIS_URL', 'SHOP_CURRENCY', 'NODE_ENV']) expect(problems).toContain(name);
      expect(problems).toContain("got 'eighty'");
    }
  });

  it('splits comma-separated secrets', () => {
    expect(parseEnv(schema, { ROUTER_SIGNING_SECRETS: ' a , b,,' }).ROUTER_SIGNING_SECRETS).toEqual(['a', 'b']);
  });
});

describe('cache settings', () => {
  it('parses per-entity TTLs and refuses malformed ones by name', () => {
    expect(parseEnv(schema, { CACHE_TTLS: 'product=300, cartLines=30' }).CACHE_TTLS).toEqual({ product: 300, cartLines: 30 });
    expect(() => parseEnv(schema, { CACHE_TTLS: 'product=soon' })).toThrow(/CACHE_TTLS/);
    expect(parseEnv(schema, { CACHE_ENABLED: 'false' }).CACHE_ENABLED).toBe(false);
    expect(() => parseEnv(schema, { CACHE_ENABLED: 'maybe' })).toThrow(/CACHE_ENABLED/);
  });
});
