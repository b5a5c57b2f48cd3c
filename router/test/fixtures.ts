import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { parse } from 'graphql';
import { createLogger, HttpError, JWT_ALGORITHM, sendJson, startHttpServer, verifyRequest, type Identity, type Logger, type SigningKey } from '@shop/runtime';
import { TEST_SIGNING_SECRET } from '@shop/testing';
import { createRouterApp, parseConfig, type RouterApp } from '../src/lib';

export const ISSUER = 'shop-user-subgraph';
export const AUDIENCE = 'shop-supergraph';

/** What the echo subgraph can serve; a supergraph may know only part of it. */
export const ECHO_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
  type Query {
    whoami: Caller
    traceparent: String
    greeting: String
    farewell: String
    nested: Nested
    "Answers 'done' after the given milliseconds: a request that stays in flight."
    slow(ms: Int!): String
  }
  type Mutation {
    echo(value: String!): String
    "Stands in for the user subgraph's sign-in mutation (the front door limits how many a request holds)."
    logIn(email: String!, password: String!): String
  }
  type Caller {
    userId: ID!
    role: String!
  }
  "For limit tests: as deep and as long as asked."
  type Nested {
    level: Int!
    child: Nested
    items(first: Int = 5): [Nested!]!
  }
`;

export function echoSdlWith(fields: Array<'whoami' | 'traceparent' | 'greeting' | 'farewell'>): string {
  return `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
    type Query { ${fields.map((f) => (f === 'whoami' ? 'whoami: Caller' : `${f}: String`)).join('\n')} }
    type Caller { userId: ID! role: String! }
  `;
}

interface EchoContext {
  identity: Identity | null;
  traceparent: string | null;
}

export interface EchoSubgraph {
  url: string;
  stop(): Promise<void>;
  /** GraphQL requests it was sent (signed or not). */
  received(): number;
  /** Of those, the mutations. */
  receivedMutations(): number;
}

/**
 * A subgraph that accepts only router-signed requests (as every real subgraph does) and
 * answers with the identity and trace context it was given. Listens on `port` (any free one by
 * default), and answers /health/live and /health/ready. `audience` is the subgraph name the
 * router signs for (its name in the supergraph).
 */
export async function startEchoSubgraph(secret = TEST_SIGNING_SECRET, port = 0, audience = 'product'): Promise<EchoSubgraph> {
  let received = 0;
  let receivedMutations = 0;
  const schema = buildSubgraphSchema({
    typeDefs: parse(ECHO_SDL),
    resolvers: {
      Query: {
        whoami: (_: unknown, __: unknown, ctx: any) => ctx.identity,
        traceparent: (_: unknown, __: unknown, ctx: any) => ctx.traceparent,
        greeting: () => 'hello',
        farewell: () => 'goodbye',
        nested: () => ({ level: 1 }),
        slow: (_: unknown, args: { ms: number }) => new Promise((resolve) => setTimeout(() => resolve('done'), args.ms)),
      },
      Mutation: {
        echo: (_: unknown, args: { value: string }) => args.value,
        logIn: (_: unknown, args: { email: string }) => `signed in ${args.email}`,
      },
      Nested: {
        child: (parent: { level: number }) => ({ level: parent.level + 1 }),
        items: (parent: { level: number }, args: { first: number }) => Array.from({ length: args.first }, () => ({ level: parent.level + 1 })),
      },
    },
  });
  const apollo = new ApolloServer<EchoContext>({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await apollo.start();
  const http = await startHttpServer<EchoContext>({
    host: '127.0.0.1',
    port,
    log: createLogger('echo-subgraph', 'silent'),
    routes: {
      '/health/live': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/health/ready': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    graphql: {
      path: '/graphql',
      apollo,
      maxBodyBytes: 1_000_000,
      context: async (req, body) => {
        received += 1;
        if (/"query":"\s*mutation\b/.test(body)) receivedMutations += 1;
        const proof = verifyRequest([secret], { audience, method: req.method ?? '', headers: req.headers, body, maxSkewSeconds: 60 });
        if (!proof.ok) throw new HttpError(401, proof.reason, 'UNAUTHENTICATED');
        return { identity: proof.identity, traceparent: (req.headers.traceparent as string | undefined) ?? null };
      },
    },
  });
  return {
    url: http.url,
    received: () => received,
    receivedMutations: () => receivedMutations,
    async stop() {
      await http.close();
      await apollo.stop();
    },
  };
}

export async function createSigningKey(kid = `test-${Math.random().toString(36).slice(2)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(JWT_ALGORITHM, { extractable: true });
  return { kid, privateKey: privateKey as KeyLike, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: JWT_ALGORITHM, use: 'sig' } };
}

/** Publishes public keys as the user subgraph does, at /.well-known/jwks.json. */
export async function startJwksServer(keys: SigningKey[], port = 0): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return sendJson(res, 404, {});
    sendJson(res, 200, { keys: keys.map((key) => key.publicJwk) });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function composeSupergraph(subgraphSdl: string, url = 'http://127.0.0.1:9/graphql'): string {
  const result = composeServices([{ name: 'product', typeDefs: parse(subgraphSdl), url }]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

export function tempDir(): { dir: string; file(name: string, content: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'router-test-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startRouter(env: Record<string, string>, options: Parameters<typeof createRouterApp>[1] = {}): Promise<RouterApp> {
  return createRouterApp(
    parseConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PORT: '0',
      ROUTER_SIGNING_SECRETS: TEST_SIGNING_SECRET,
      // stop() closes at once; a test of the drain sets its own.
      SHUTDOWN_DRAIN_SECONDS: '0',
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      // A prefix per router; tests that register APQ entries pass a createTestRun prefix and clean it up.
      REDIS_KEY_PREFIX: `test:router:${Math.random().toString(36).slice(2)}:`,
      ...env,
    }),
    options,
  );
}

/** A logger whose lines the test reads (as parsed objects), at `info`. */
export function capturedLog(): { log: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('router', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, any>) });
  return { log, lines };
}
