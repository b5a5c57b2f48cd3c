import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { signAccessToken, signRequest, type SigningKey } from '@shop/runtime';
import { freePort, routerRequest } from '@shop/testing';
import type { RouterApp } from '../src/lib';
import { AUDIENCE, composeSupergraph, createSigningKey, ECHO_SDL, ISSUER, startEchoSubgraph, startJwksServer, startRouter, tempDir } from './fixtures';

const WHOAMI = '{ whoami { userId role } }';

/** The origin a CORS preflight from Apollo Studio is allowed for, if any. */
async function studioPreflight(url: string): Promise<string | null> {
  const response = await fetch(url, {
    method: 'OPTIONS',
    headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  return response.headers.get('access-control-allow-origin');
}

describe('router: identity, signatures and trust', () => {
  const files = tempDir();
  let key: SigningKey;
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  let jwksServer: Awaited<ReturnType<typeof startJwksServer>>;
  let router: RouterApp;

  const token = (userId: string, role: 'CUSTOMER' | 'ADMIN', options: Partial<{ audience: string; issuer: string; signWith: SigningKey }> = {}) =>
    signAccessToken(
      options.signWith ?? key,
      { userId, role },
      { issuer: options.issuer ?? ISSUER, audience: options.audience ?? AUDIENCE, ttlSeconds: 300 },
    ).then((t) => t.token);

  beforeAll(async () => {
    key = await createSigningKey();
    subgraph = await startEchoSubgraph();
    jwksServer = await startJwksServer([key]);
    router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: jwksServer.url,
      ROUTER_CORS_ORIGINS: 'https://shop.example.com',
    });
  });

  afterAll(async () => {
    await router?.stop();
    await jwksServer?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('passes a signed-in caller’s identity to the subgraph', async () => {
    const customer = randomUUID();
    const admin = randomUUID();
    const asCustomer = await routerRequest(router.url, WHOAMI, {}, await token(customer, 'CUSTOMER'));
    expect(asCustomer.errors).toBeUndefined();
    expect(asCustomer.data.whoami).toEqual({ userId: customer, role: 'CUSTOMER' });
    const asAdmin = await routerRequest(router.url, WHOAMI, {}, await token(admin, 'ADMIN'));
    expect(asAdmin.data.whoami).toEqual({ userId: admin, role: 'ADMIN' });
  });

  it('treats a request without a token as anonymous', async () => {
    const response = await routerRequest(router.url, WHOAMI);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data.whoami).toBeNull();
  });

  it('sends clients no SQL or cache counters: those headers are for the router, from subgraphs', async () => {
    const response = await routerRequest(router.url, WHOAMI);
    expect(response.status).toBe(200);
    for (const name of ['x-sql-statements', 'x-cache-hits', 'x-cache-misses']) expect(response.headers.get(name)).toBeNull();
  });

  it('ignores identity headers a client sends', async () => {
    const victim = randomUUID();
    const claimed = {
      'x-shop-user-id': victim,
      'x-shop-user-role': 'ADMIN',
      ...signRequest('guessed-secret-guessed-secret-guessed', { audience: 'product', identity: { userId: victim, role: 'ADMIN' }, body: '{}' }),
    };
    const anonymous = await routerRequest(router.url, WHOAMI, {}, undefined, claimed);
    expect(anonymous.data.whoami).toBeNull();
    const me = randomUUID();
    const signedIn = await routerRequest(router.url, WHOAMI, {}, await token(me, 'CUSTOMER'), claimed);
    expect(signedIn.data.whoami).toEqual({ userId: me, role: 'CUSTOMER' });
  });

  it('refuses the whole request with UNAUTHENTICATED when the token is not valid', async () => {
    const userId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const forger = await createSigningKey(key.kid);
    const stranger = await createSigningKey();
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { sub: userId, role: 'ADMIN', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 };
    const bad: Record<string, string> = {
      expired: await new SignJWT({ role: 'CUSTOMER' })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now - 600)
        .setExpirationTime(now - 300)
        .sign(key.privateKey),
      'forged signature (same kid, other key)': await token(userId, 'ADMIN', { signWith: forger }),
      'unknown key': await token(userId, 'ADMIN', { signWith: stranger }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'HS256 with the public key as secret': await new SignJWT({ role: 'ADMIN' })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      'wrong audience': await token(userId, 'CUSTOMER', { audience: 'some-other-api' }),
      'wrong issuer': await token(userId, 'CUSTOMER', { issuer: 'someone-else' }),
      'no role': await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(now + 300)
        .sign(key.privateKey),
      'no expiry': await new SignJWT({ role: 'CUSTOMER' })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .sign(key.privateKey),
      'not a JWT': 'hello',
    };
    for (const [label, value] of Object.entries(bad)) {
      const response = await routerRequest(router.url, WHOAMI, {}, value);
      expect({ label, status: response.status, code: response.errors?.[0]?.extensions?.code, data: response.data }).toEqual({
        label,
        status: 401,
        code: 'UNAUTHENTICATED',
        data: undefined,
      });
    }
    const notBearer = await routerRequest(router.url, WHOAMI, {}, undefined, { authorization: `Basic ${btoa('me:secret')}` });
    expect(notBearer.status).toBe(401);
    expect(notBearer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('carries the client’s trace id to the subgraph', async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const clientSpan = '00f067aa0ba902b7';
    const response = await routerRequest(router.url, '{ traceparent }', {}, undefined, { traceparent: `00-${traceId}-${clientSpan}-01` });
    const [version, seenTraceId, seenSpan] = (response.data.traceparent as string).split('-');
    expect(version).toBe('00');
    expect(seenTraceId).toBe(traceId);
    expect(seenSpan).not.toBe(clientSpan);
    expect(response.headers.get('traceresponse')).toContain(traceId);
  });

  it('signs what it sends: the subgraph refuses the same request sent directly', async () => {
    const body = JSON.stringify({ query: WHOAMI });
    const direct = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(direct.status).toBe(401);
    const spoofed = await fetch(subgraph.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signRequest('not-the-router-secret-not-the-router-secret', { audience: 'product', identity: { userId: randomUUID(), role: 'ADMIN' }, body }),
      },
      body,
    });
    expect(spoofed.status).toBe(401);
    const viaRouter = await routerRequest(router.url, WHOAMI);
    expect(viaRouter.status).toBe(200);
    expect(viaRouter.data).toEqual({ whoami: null });
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(router.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const allowed = await preflight('https://shop.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await routerRequest(router.url, WHOAMI, {}, undefined, { origin: 'https://shop.example.com' });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
  });

  it('reports readiness with subgraph reachability, and metrics', async () => {
    const base = new URL(router.url).origin;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', subgraphs: { product: 'ok' } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('graphql_request_duration_seconds');
  });

  it('allows introspection and serves the Sandbox landing page outside production, and lets Apollo Studio call it', async () => {
    const response = await routerRequest(router.url, '{ __schema { queryType { name } } }');
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const landing = await fetch(router.url, { headers: { accept: 'text/html' } });
    expect(await landing.text()).toContain('embeddable-sandbox');
    expect(await studioPreflight(router.url)).toBe('https://studio.apollographql.com');
  });
});

describe('router: when its dependencies are down', () => {
  const files = tempDir();
  let key: SigningKey;
  let jwksPort: number;
  let router: RouterApp;
  let jwksServer: Awaited<ReturnType<typeof startJwksServer>> | undefined;
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>> | undefined;

  beforeAll(async () => {
    key = await createSigningKey();
    jwksPort = await freePort();
    router = await startRouter({
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: `http://127.0.0.1:${await freePort()}/graphql`,
      AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
    });
  });

  afterAll(async () => {
    await router?.stop();
    await jwksServer?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('starts before the key server, says SERVICE_UNAVAILABLE to signed-in callers, and recovers once it is up', async () => {
    const { token } = await signAccessToken(key, { userId: randomUUID(), role: 'CUSTOMER' }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 300 });
    const early = await routerRequest(router.url, WHOAMI, {}, token);
    expect(early.status).toBe(503);
    expect(early.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');

    jwksServer = await startJwksServer([key], jwksPort);
    const later = await routerRequest(router.url, WHOAMI, {}, token);
    expect(later.status).toBe(200);
    expect(later.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE'); // the subgraph is still down
    expect(later.errors?.[0]?.message).toBe('The product service is unavailable right now.');
  });

  it('reports an unreachable subgraph as SERVICE_UNAVAILABLE without its address, and stays ready', async () => {
    const response = await routerRequest(router.url, WHOAMI);
    expect(response.data).toEqual({ whoami: null });
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(response.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch failed/);
    const ready = await fetch(new URL('/health/ready', router.url));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { subgraphs: Record<string, string> }).subgraphs.product).toMatch(/^down/);
  });
});

describe('router: in production', () => {
  const files = tempDir();
  let subgraph: Awaited<ReturnType<typeof startEchoSubgraph>>;
  let router: RouterApp;

  beforeAll(async () => {
    // The subgraph has another secret than this router: a misconfiguration, the router's fault.
    subgraph = await startEchoSubgraph('the-subgraph-knows-another-secret-0123456789');
    const jwks = `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`;
    router = await startRouter({
      NODE_ENV: 'production',
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: jwks,
    });
  });

  afterAll(async () => {
    await router?.stop();
    await subgraph?.stop();
    files.remove();
  });

  it('masks a subgraph refusing the router’s signature as an internal error with a trace id', async () => {
    const response = await routerRequest(router.url, WHOAMI);
    expect(response.data).toEqual({ whoami: null });
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'Internal server error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) },
      }),
    ]);
  });

  it('turns introspection, the Sandbox landing page and Apollo Studio’s origin off', async () => {
    const introspection = await routerRequest(router.url, '{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const landing = await fetch(router.url, { headers: { accept: 'text/html' } });
    expect(await landing.text()).not.toContain('embeddable-sandbox');
    expect(await studioPreflight(router.url)).toBeNull();
  });

  it('turns them on when the config says so', async () => {
    const explorable = await startRouter({
      NODE_ENV: 'production',
      ROUTER_SUPERGRAPH_PATH: files.file('supergraph-2.graphql', composeSupergraph(ECHO_SDL)),
      ROUTER_SUBGRAPH_PRODUCT_URL: subgraph.url,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      ROUTER_INTROSPECTION: 'true',
      ROUTER_SANDBOX: 'true',
    });
    try {
      const introspection = await routerRequest(explorable.url, '{ __schema { queryType { name } } }');
      expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      const landing = await fetch(explorable.url, { headers: { accept: 'text/html' } });
      expect(await landing.text()).toContain('embeddable-sandbox');
      expect(await studioPreflight(explorable.url)).toBe('https://studio.apollographql.com');
    } finally {
      await explorable.stop();
    }
  });

  it('strips "Did you mean" suggestions', async () => {
    const response = await routerRequest(router.url, '{ greting }');
    expect(response.errors?.[0]).toMatchObject({ message: 'Cannot query field "greting" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('passes the front door’s own codes through, without a stack trace', async () => {
    const deep = await routerRequest(router.url, `{ nested ${'{ child '.repeat(20)}{ level }${' }'.repeat(20)} }`);
    expect(deep.errors).toEqual([{ message: expect.stringMatching(/levels deep/), extensions: { code: 'QUERY_TOO_DEEP' } }]);
  });
});
