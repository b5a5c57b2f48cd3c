import { describe, expect, it } from 'vitest';
import { ConfigError } from '@shop/runtime';
import { UsageError } from '../src/cli';
import { parseStartArgs, planShop, replicaPorts } from '../src/start/plan';
import type { ServiceSpec } from '../src/start/supervisor';

const plan = (replicas: number, env: NodeJS.ProcessEnv = {}) => planShop({ replicas, env: { SECRETS_DIR: '/tmp/secrets', ...env }, repoRoot: '/repo' });
const table = (p: ReturnType<typeof plan>) => [...p.routers, ...p.subgraphs].map((s) => `${s.spec.name} ${s.port}`);
const script = (spec: ServiceSpec) => ('script' in spec ? spec.script : undefined);

describe('npm start flags', () => {
  it('runs one of each without flags, N replicas with --replicas N or SHOP_REPLICAS=N (the flag wins)', () => {
    expect(parseStartArgs([], {})).toEqual({ replicas: 1 });
    expect(parseStartArgs(['--replicas', '2'], {})).toEqual({ replicas: 2 });
    expect(parseStartArgs(['--replicas=3'], {})).toEqual({ replicas: 3 });
    expect(parseStartArgs([], { SHOP_REPLICAS: '2' })).toEqual({ replicas: 2 });
    expect(parseStartArgs(['--replicas', '1'], { SHOP_REPLICAS: '2' })).toEqual({ replicas: 1 });
    expect(parseStartArgs(['--help'], {})).toBe('help');
  });

  it('refuses bad values: flags with a usage error, SHOP_REPLICAS as configuration', () => {
    for (const argv of [['--replicas'], ['--replicas', '0'], ['--replicas', '11'], ['--replicas', 'two'], ['--replica', '2'], ['2']]) {
      expect(() => parseStartArgs(argv, {}), argv.join(' ')).toThrow(UsageError);
    }
    expect(() => parseStartArgs([], { SHOP_REPLICAS: '-1' })).toThrow(ConfigError);
  });
});

describe('the processes npm start runs', () => {
  it('one of each: the router is the front door on :4000, the subgraphs on 4001…4004', () => {
    const p = plan(1);
    expect(table(p)).toEqual(['router 4000', 'product 4001', 'user 4002', 'cart 4003', 'order 4004']);
    expect(p.frontDoor).toEqual({ host: '127.0.0.1', port: 4000, url: 'http://localhost:4000/graphql', readyUrl: 'http://127.0.0.1:4000/health/ready' });
    const router = p.routers[0]!.spec;
    expect(router.env).toMatchObject({
      PORT: '4000',
      ROUTER_SUBGRAPH_PRODUCT_URL: 'http://127.0.0.1:4001/graphql',
      AUTH_JWKS_URL: 'http://127.0.0.1:4002/.well-known/jwks.json',
    });
    expect(router.env.ROUTER_TRUSTED_PROXIES).toBeUndefined();
    expect(script(router)).toBe('/repo/router/dist/index.js');
    expect(p.subgraphs[0]!.spec).toMatchObject({
      name: 'product',
      readyUrl: 'http://127.0.0.1:4001/health/ready',
      env: { PORT: '4001', POSTGRES_DB: 'shop_product' },
    });
  });

  it('with --replicas 2: routers on 4010 and 4011 behind :4000, subgraph replica k on its port + 100·k', () => {
    const p = plan(2);
    expect(table(p)).toEqual([
      'router-0 4010',
      'router-1 4011',
      'product-0 4001',
      'product-1 4101',
      'user-0 4002',
      'user-1 4102',
      'cart-0 4003',
      'cart-1 4103',
      'order-0 4004',
      'order-1 4104',
    ]);
    expect(p.frontDoor.port).toBe(4000);
    expect(p.subgraphs.map((s) => s.spec.readyUrl)).toContain('http://127.0.0.1:4104/health/ready');
    expect(p.subgraphs.find((s) => s.spec.name === 'cart-1')!.spec.env).toMatchObject({ PORT: '4103', POSTGRES_DB: 'shop_cart' });
  });

  it('gives every router the list of each subgraph’s replicas, a user replica’s JWKS and the trusted proxies', () => {
    const [router0, router1] = plan(2).routers.map((r) => r.spec.env);
    for (const env of [router0!, router1!]) {
      expect(env).toMatchObject({
        ROUTER_SUBGRAPH_PRODUCT_URL: 'http://127.0.0.1:4001/graphql,http://127.0.0.1:4101/graphql',
        ROUTER_SUBGRAPH_USER_URL: 'http://127.0.0.1:4002/graphql,http://127.0.0.1:4102/graphql',
        ROUTER_SUBGRAPH_CART_URL: 'http://127.0.0.1:4003/graphql,http://127.0.0.1:4103/graphql',
        ROUTER_SUBGRAPH_ORDER_URL: 'http://127.0.0.1:4004/graphql,http://127.0.0.1:4104/graphql',
        ROUTER_TRUSTED_PROXIES: '127.0.0.1/8,::1',
      });
    }
    expect(router0!.PORT).toBe('4010');
    expect(router1!.PORT).toBe('4011');
    expect(router0!.AUTH_JWKS_URL).toBe('http://127.0.0.1:4002/.well-known/jwks.json');
    expect(router1!.AUTH_JWKS_URL).toBe('http://127.0.0.1:4102/.well-known/jwks.json');
  });

  it('keeps router settings the environment already has', () => {
    const env = plan(2, { ROUTER_SUBGRAPH_PRODUCT_URL: 'http://products.internal/graphql', ROUTER_TRUSTED_PROXIES: '10.0.0.0/8' }).routers[1]!.spec.env;
    expect(env.ROUTER_SUBGRAPH_PRODUCT_URL).toBe('http://products.internal/graphql');
    expect(env.ROUTER_TRUSTED_PROXIES).toBe('10.0.0.0/8');
  });

  it('moves ports with <NAME>_PORT, ROUTER_PORT and ROUTER_REPLICA_PORT, or takes one port per replica', () => {
    const p = plan(2, { PRODUCT_PORT: '5001', USER_PORT: '6001,6002', ROUTER_PORT: '5000', ROUTER_REPLICA_PORT: '7000,7100' });
    expect(table(p).slice(0, 6)).toEqual(['router-0 7000', 'router-1 7100', 'product-0 5001', 'product-1 5101', 'user-0 6001', 'user-1 6002']);
    expect(p.frontDoor.port).toBe(5000);
    // The scripts' own view (migrations) is replica 0's.
    expect(p.env.USER_PORT).toBe('6001');
    expect(replicaPorts({}, 1)).toEqual({ subgraphs: { product: [4001], user: [4002], cart: [4003], order: [4004] }, routers: [] });
  });

  it('refuses bad or clashing ports, naming them', () => {
    expect(() => plan(2, { CART_PORT: '4003,4103,4203' })).toThrow(/CART_PORT lists 3 ports for 2 replica\(s\)/);
    expect(() => plan(2, { CART_PORT: 'x' })).toThrow(/CART_PORT must be a port/);
    expect(() => plan(2, { ROUTER_REPLICA_PORT: '4001' })).toThrow(/port 4001 is given to router-0 and product-0/);
    expect(() => plan(2, { ROUTER_PORT: '4011' })).toThrow(/port 4011 is given to load balancer and router-1/);
    expect(() => plan(1, { USER_PORT: '4001' })).toThrow(ConfigError);
  });
});
