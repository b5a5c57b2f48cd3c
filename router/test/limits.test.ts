import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerRequest } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { composeSupergraph, ECHO_SDL, startEchoSubgraph, startRouter, tempDir } from './fixtures';

const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

/** `{ nested { child { … { level } } } }`, `levels` fields deep. */
const deep = (levels: number) => `{ nested ${'{ child '.repeat(levels - 2)}{ level }${' }'.repeat(levels - 2)} }`;

describe('router: query limits', () => {
  const files = tempDir();
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  let tight: RouterApp;
  let defaults: RouterApp;
  let bigBodies: RouterApp;
  let manyTokens: RouterApp;

  beforeAll(async () => {
    subgraph = await startEchoSubgraph();
    const base = {
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    };
    [tight, defaults, bigBodies, manyTokens] = await Promise.all([
      startRouter({
        ...base,
        ROUTER_MAX_DEPTH: '4',
        ROUTER_MAX_ALIASES: '3',
        ROUTER_MAX_ROOT_FIELDS: '3',
        ROUTER_MAX_TOKENS: '40',
        ROUTER_MAX_COST: '20',
        ROUTER_MAX_BODY_BYTES: '1500',
      }),
      startRouter(base),
      startRouter({ ...base, ROUTER_MAX_BODY_BYTES: '1000000' }),
      startRouter({ ...base, ROUTER_MAX_TOKENS: '100000', ROUTER_MAX_BODY_BYTES: '1000000' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([tight?.stop(), defaults?.stop(), bigBodies?.stop(), manyTokens?.stop()]);
    await subgraph?.stop();
    files.remove();
  });

  /** Refused with HTTP 400 and the code, and the subgraph never hears of it. */
  async function expectRefused(router: RouterApp, query: string, code: string, variables: Record<string, unknown> = {}, status = 400) {
    const before = subgraph.received();
    const res = await routerRequest(router.url, query, variables);
    expect({ status: res.status, code: codeOf(res), data: res.data }).toEqual({ status, code, data: undefined });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(subgraph.received()).toBe(before);
  }

  async function expectAllowed(router: RouterApp, query: string, variables: Record<string, unknown> = {}) {
    const res = await routerRequest(router.url, query, variables);
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    return res.data;
  }

  it('depth: allows the limit, refuses one level more', async () => {
    expect(await expectAllowed(tight, deep(4))).toEqual({ nested: { child: { child: { level: 3 } } } });
    await expectRefused(tight, deep(5), 'QUERY_TOO_DEEP');
  });

  it('depth: counts what fragments add', async () => {
    await expectRefused(tight, 'query { nested { ...A } } fragment A on Nested { child { child { child { level } } } }', 'QUERY_TOO_DEEP');
  });

  it('aliases: allows the limit, refuses one more', async () => {
    await expectAllowed(tight, '{ a: greeting b: farewell nested { c: level } }');
    await expectRefused(tight, '{ a: greeting b: farewell nested { c: level d: level } }', 'TOO_MANY_ALIASES');
  });

  it('sign-in mutations: ten aliased logIns are refused before planning, the subgraph never called', async () => {
    const guesses = Array.from({ length: 10 }, (_, i) => `g${i}: logIn(email: "a@example.com", password: "guess-${i}")`).join(' ');
    await expectRefused(defaults, `mutation { ${guesses} }`, 'TOO_MANY_AUTH_FIELDS');
    await expectRefused(
      defaults,
      'mutation { ...Guess ...Guess } fragment Guess on Mutation { logIn(email: "a@example.com", password: "x") }',
      'TOO_MANY_AUTH_FIELDS',
    );
  });

  it('sign-in mutations: one logIn passes, beside another field too', async () => {
    expect(await expectAllowed(defaults, 'mutation { logIn(email: "a@example.com", password: "x") }')).toEqual({ logIn: 'signed in a@example.com' });
    expect(await expectAllowed(defaults, 'mutation { logIn(email: "b@example.com", password: "x") echo(value: "hi") __typename }')).toEqual({
      logIn: 'signed in b@example.com',
      echo: 'hi',
      __typename: 'Mutation',
    });
  });

  it('root fields: allows the limit, refuses one more', async () => {
    await expectAllowed(tight, '{ greeting farewell traceparent }');
    await expectRefused(tight, '{ greeting farewell traceparent whoami { role } }', 'TOO_MANY_ROOT_FIELDS');
  });

  it('tokens: allows the limit, refuses one more', async () => {
    // `{ nested {` and `} }` are 5 tokens; each `level` one more.
    await expectAllowed(tight, `{ nested { ${'level '.repeat(35)}} }`);
    await expectRefused(tight, `{ nested { ${'level '.repeat(36)}} }`, 'TOO_MANY_TOKENS');
  });

  it('cost: allows the limit, refuses one more, with list sizes from first (literal or variable)', async () => {
    // nested 1 + items 1 + one child per item
    const data = await expectAllowed(tight, '{ nested { items(first: 18) { child { level } } } }');
    expect(data.nested.items).toHaveLength(18);
    await expectRefused(tight, '{ nested { items(first: 19) { child { level } } } }', 'QUERY_TOO_COSTLY');
    const query = 'query($n: Int) { nested { items(first: $n) { child { level } } } }';
    await expectAllowed(tight, query, { n: 18 });
    await expectRefused(tight, query, 'QUERY_TOO_COSTLY', { n: 19 });
  });

  it('body bytes: allows the limit, refuses one byte more', async () => {
    const post = (bytes: number) => {
      const envelope = JSON.stringify({ query: '{ greeting }', variables: { pad: '' } });
      const body = JSON.stringify({ query: '{ greeting }', variables: { pad: 'x'.repeat(bytes - envelope.length) } });
      expect(body.length).toBe(bytes);
      return fetch(tight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    };
    expect((await post(1500)).status).toBe(200);
    const over = await post(1501);
    expect(over.status).toBe(400);
    expect(((await over.json()) as any).errors[0].extensions.code).toBe('BODY_TOO_LARGE');
  });

  it('checks limits before validation: an unknown field too deep is QUERY_TOO_DEEP', async () => {
    await expectRefused(tight, '{ a { b { c { d { e } } } } }', 'QUERY_TOO_DEEP');
  });

  it('refuses a 10,000-alias query and a 100-deep query with the default limits, without planning them', async () => {
    const aliases = `{ nested { ${Array.from({ length: 10_000 }, (_, i) => `a${i}: level`).join(' ')} } }`;
    // Each line of defence on its own: body size, then tokens, then aliases.
    await expectRefused(defaults, aliases, 'BODY_TOO_LARGE', {}, 400);
    await expectRefused(bigBodies, aliases, 'TOO_MANY_TOKENS');
    await expectRefused(manyTokens, aliases, 'TOO_MANY_ALIASES');
    await expectRefused(defaults, deep(100), 'QUERY_TOO_DEEP');
  });

  it('refuses a batch of operations', async () => {
    const res = await fetch(defaults.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ greeting }' }, { query: '{ farewell }' }]),
    });
    expect(res.status).toBe(400);
  });

  it('applies the limits to GET requests too', async () => {
    const url = new URL(tight.url);
    url.searchParams.set('query', deep(5));
    const res = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
  });
});
