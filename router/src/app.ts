import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  createLogger,
  createMetrics,
  formatErrorFor,
  healthRoutes,
  requestLogPlugin,
  resolveSigningSecrets,
  sendJson,
  startHttpServer,
  type Route,
} from '@shop/runtime';
import { subgraphUrls, type RouterConfig } from './config';
import { applyCors } from './cors';
import { SignedDataSource, type RouterContext } from './signed-data-source';
import { SupergraphFile } from './supergraph-file';
import { createTokenVerifier } from './token-verifier';

export interface RouterApp {
  url: string;
  supergraph: SupergraphFile;
  stop(): Promise<void>;
}

const DEVELOPMENT_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com', 'http://localhost:4000'];

/** Composition root: config → supergraph, subgraph clients, token verifier → server; shutdown in reverse. */
export async function createRouterApp(config: RouterConfig): Promise<RouterApp> {
  const production = config.NODE_ENV === 'production';
  const log = createLogger('router', config.LOG_LEVEL);
  const metrics = createMetrics('router');
  const [signingSecret] = resolveSigningSecrets(config);

  const configuredUrls = subgraphUrls(config);
  const subgraphs = new Map<string, string>();
  const supergraph = new SupergraphFile(config.ROUTER_SUPERGRAPH_PATH, log);
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    logger: log,
    buildService: ({ name, url }) => {
      const target = configuredUrls[name] ?? url;
      if (!target) throw new Error(`The supergraph names a subgraph "${name}" with no URL, and none is configured.`);
      if (!configuredUrls[name]) log.warn({ subgraph: name, url }, 'no URL configured for this subgraph; using the one in the supergraph');
      subgraphs.set(name, target);
      return new SignedDataSource(name, target, signingSecret!, log);
    },
  });

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: log,
    introspection: config.ROUTER_INTROSPECTION ?? !production,
    formatError: formatErrorFor(log, production),
    includeStacktraceInErrorResponses: !production,
    plugins: [
      requestLogPlugin(log, metrics),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  await apollo.start();

  const verifyToken = createTokenVerifier({
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    log,
  });
  let stopping = false;
  const routes: Record<string, Route> = {
    ...healthRoutes(async () => ({}), metrics),
    // Ready means this router can plan queries. Subgraphs are reported but do not count: one
    // subgraph down still leaves the rest of the graph to serve.
    '/health/ready': async (_req, res) => {
      const ok = !stopping && supergraph.status.loadedAt !== null;
      sendJson(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'unavailable',
        checks: { supergraph: ok ? 'ok' : stopping ? 'stopping' : 'not loaded' },
        supergraph: supergraph.status,
        subgraphs: await probeSubgraphs(subgraphs),
      });
    },
  };

  let http: Awaited<ReturnType<typeof startHttpServer<RouterContext>>>;
  try {
    http = await startHttpServer<RouterContext>({
      host: config.HOST,
      port: config.PORT,
      log,
      routes,
      graphql: {
        path: '/graphql',
        apollo,
        maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
        context: async (req) => {
          const authorization = req.headers.authorization;
          return { identity: await verifyToken(authorization) };
        },
      },
    });
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  applyCors(http.server, production ? config.ROUTER_CORS_ORIGINS : [...config.ROUTER_CORS_ORIGINS, ...DEVELOPMENT_ORIGINS]);
  log.info({ url: http.url, supergraph: config.ROUTER_SUPERGRAPH_PATH, subgraphs: Object.fromEntries(subgraphs) }, 'router listening');

  const served = http;
  return {
    url: served.url,
    supergraph,
    async stop() {
      stopping = true;
      await served.close();
      await apollo.stop();
    },
  };
}

async function probeSubgraphs(subgraphs: Map<string, string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...subgraphs].map(async ([name, url]) => {
      try {
        const response = await fetch(new URL('/health/live', url), { signal: AbortSignal.timeout(1_000) });
        return [name, response.ok ? 'ok' : `down: HTTP ${response.status}`] as const;
      } catch (error) {
        return [name, `down: ${(error as Error).message}`] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}
