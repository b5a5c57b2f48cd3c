import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, flag, keyValueList, optionalFlag, parseEnv } from './env';
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

describe('keyValueList', () => {
  const schema = z.object({
    WEIGHTS: keyValueList({ key: /[A-Za-z_]\w*\.[A-Za-z_]\w*/, what: 'Type.field=weight (a whole number)' }),
    TTLS: keyValueList({ key: /[A-Za-z_]\w*/, what: 'entity=seconds', min: 1 }),
  });
  const problems = (env: Record<string, string>) => {
    try {
      parseEnv(schema, env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected the config to be refused');
  };

  it('reads comma-separated key=number pairs, blanks and spaces dropped, the last of a repeated key kept', () => {
    expect(parseEnv(schema, {})).toEqual({ WEIGHTS: {}, TTLS: {} });
    expect(parseEnv(schema, { WEIGHTS: 'Mutation.placeOrder=10, Query.products = 0,,', TTLS: 'product=300,cart=5,product=60' })).toEqual({
      WEIGHTS: { 'Mutation.placeOrder': 10, 'Query.products': 0 },
      TTLS: { product: 60, cart: 5 },
    });
  });

  it('refuses the first malformed pair by name', () => {
    expect(problems({ WEIGHTS: 'Query.products=2,placeOrder=10,x' })).toEqual([
      "WEIGHTS: 'placeOrder=10' is not Type.field=weight (a whole number) (got 'Query.products=2,placeOrder=10,x')",
    ]);
    // The whole key must match, not a part of it.
    expect(problems({ WEIGHTS: 'Query.products.id=1' })[0]).toMatch(/^WEIGHTS: 'Query.products.id=1' is not/);
    for (const bad of ['product', 'product=', '=5', 'product=soon', 'product=1.5', 'product=-1', 'product=0', 'product=1=2']) {
      expect(problems({ TTLS: bad })).toEqual([`TTLS: '${bad}' is not entity=seconds (got '${bad}')`]);
    }
  });
});

describe('flags', () => {
  const schema = z.object({ ON: flag(true), OFF: flag(false), UNSET: optionalFlag });

  it('reads true and false, unset gives the fallback, anything else is refused', () => {
    expect(parseEnv(schema, {})).toEqual({ ON: true, OFF: false, UNSET: undefined });
    expect(parseEnv(schema, { ON: 'false', OFF: 'true', UNSET: 'false' })).toEqual({ ON: false, OFF: true, UNSET: false });
    expect(() => parseEnv(schema, { ON: 'yes' })).toThrow(/ON: .*'true' \| 'false'/);
  });
});
