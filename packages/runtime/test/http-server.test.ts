import { request } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, GOING_AWAY, startHttpServer, type HttpServer } from '../src';

/**
 * The shutdown hook for long-lived answers: a stream registered with trackStream() is ended
 * with 1001 ("going away") when the server closes, so closing does not wait for it for ever.
 * An event stream stands in for the subscriptions that will use it.
 */
const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });
let http: HttpServer;

beforeAll(async () => {
  await apollo.start();
  http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    log: createLogger('http-test', 'silent'),
    graphql: { path: '/graphql', apollo, maxBodyBytes: 1_000, context: async () => ({}) },
    routes: {
      '/events': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: hello\n\n');
        const untrack = http.trackStream({ close: (code, reason) => res.end(`event: close\ndata: ${code} ${reason}\n\n`) });
        res.once('close', untrack);
      },
    },
  });
});

afterAll(async () => {
  await http?.close();
  await apollo.stop();
});

describe('long-lived streams at shutdown', () => {
  it('ends each registered stream with 1001 going away, and the server closes without waiting for them', async () => {
    const origin = http.url.replace(/\/graphql$/, '');
    const received: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      request(`${origin}/events`, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => received.push(chunk));
        res.once('end', resolve);
        res.once('error', reject);
      })
        .once('error', reject)
        .end();
    });
    await expect.poll(() => received.join('')).toContain('data: hello');

    const started = Date.now();
    await http.shutdown(0);
    await ended;
    expect(received.join('')).toContain(`event: close\ndata: ${GOING_AWAY} going away`);
    expect(Date.now() - started).toBeLessThan(2_000);
    // A stream opened after close is ended at once.
    let code = 0;
    http.trackStream({ close: (c) => (code = c) });
    expect(code).toBe(GOING_AWAY);
  });
});
