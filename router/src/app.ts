import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { Counter } from 'prom-client';
import { compactJson, createLogger, createMetrics, createRedis, healthRoutes, pingRedis, requestLogPlugin, resolveSigningSecrets, sendJson, startHttpServer, waitForRedis, type Route } from '@shop/runtime';
import { subgraphUrls, type RouterConfig } from './config';
import { applyCors, applyNoStoreDefault } from './cors';
import { createEntityCaches, type EntityCaches } from './entity-cache';
import { routerFormatError, ROUTER_CODES } from './format-error';
import { createFrontDoor } from './front-door';
import type { QueryLimits } from './limits';
import { RedisApqCache } from './persisted-queries/apq-cache';
import { ManifestStore } from './persisted-queries/manifest-store';
import { SignedDataSource, type RouterContext } from './signed-data-source';
import { SupergraphFile } from './supergraph-file';
import { createTokenVerifier } from './token-verifier';

export interface RouterApp {
  url: string;
  supergraph: SupergraphFile;
  manifests: ManifestStore;
  stop(): Promise<void>;
}

/** Apollo Studio and the embedded Sandbox call the router from these, wherever the Sandbox is on. */
const SANDBOX_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com'];
const DEVELOPMENT_ORIGINS = ['http://localhost:4000'];
const REDIS_STARTUP_WAIT_MS = 2_000;

/**
 * Composition root: config → Redis (APQ, entity caches), supergraph, subgraph clients,
 * persisted query manifests, front door (limits, safelist), token verifier → server;
 * shutdown in reverse.
 */
export async function createRouterApp(config: RouterConfig): Promise<RouterApp> {
  const production = config.NODE_ENV === 'production';
  const log = createLogger('router', config.LOG_LEVEL);
  const metrics = createMetrics('router');
  const [signingSecret] = resolveSigningSecrets(config);
  const mode = config.ROUTER_PERSISTED_QUERIES_MODE;

  const redis = createRedis({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, log });
  const entityCachesOn = config.CACHE_ENABLED && config.ROUTER_ENTITY_CACHE_TTL_SECONDS > 0 && config.ROUTER_ENTITY_CACHE_SUBGRAPHS.length > 0;
  // The entity caches read the product subgraph's cache generation at once. Without Redis the
  // router still starts (those caches stay off until it is back), after at most this wait.
  if (entityCachesOn) await waitForRedis(redis, REDIS_STARTUP_WAIT_MS);
  // Before the gateway: its data sources (built when Apollo starts) take their subgraph's cache.
  const entityCaches: EntityCaches | null = entityCachesOn
    ? await createEntityCaches({
        subgraphs: config.ROUTER_ENTITY_CACHE_SUBGRAPHS,
        redis,
        keyPrefix: config.REDIS_KEY_PREFIX,
        ttlSeconds: config.ROUTER_ENTITY_CACHE_TTL_SECONDS,
        maxEntries: config.ROUTER_ENTITY_CACHE_MAX_ENTRIES,
        log,
        registry: metrics.registry,
      })
    : null;
  const closeRedis = () => {
    entityCaches?.stop();
    redis.disconnect();
  };

  const configuredUrls = subgraphUrls(config);
  const subgraphs = new Map<string, string>();
  // The gateway asks for data sources again on every supergraph reload: one per subgraph and
  // URL is kept, with its connections, and closed when the router stops.
  const dataSources = new Map<string, SignedDataSource>();
  const closeDataSources = () => Promise.all([...dataSources.values()].map((source) => source.close()));
  const supergraph = new SupergraphFile(config.ROUTER_SUPERGRAPH_PATH, log);
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    logger: log,
    buildService: ({ name, url }) => {
      const target = configuredUrls[name] ?? url;
      if (!target) throw new Error(`The supergraph names a subgraph "${name}" with no URL, and none is configured.`);
      if (!configuredUrls[name]) log.warn({ subgraph: name, url }, 'no URL configured for this subgraph; using the one in the supergraph');
      subgraphs.set(name, target);
      const key = `${name} ${target}`;
      let source = dataSources.get(key);
      if (!source) {
        source = new SignedDataSource(name, target, signingSecret!, log, undefined, entityCaches?.of(name));
        dataSources.set(key, source);
      }
      return source;
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });

  const manifests = new ManifestStore(config.ROUTER_PERSISTED_QUERIES_MANIFESTS, log);
  try {
    await manifests.start();
  } catch (error) {
    closeRedis();
    throw error;
  }
  const limits: QueryLimits = {
    maxDepth: config.ROUTER_MAX_DEPTH,
    maxAliases: config.ROUTER_MAX_ALIASES,
    maxRootFields: config.ROUTER_MAX_ROOT_FIELDS,
    maxTokens: config.ROUTER_MAX_TOKENS,
    maxCost: config.ROUTER_MAX_COST,
    defaultListSize: config.ROUTER_COST_DEFAULT_LIST_SIZE,
    costWeights: config.ROUTER_COST_WEIGHTS,
  };
  const frontDoor = createFrontDoor({
    mode,
    manifests,
    limits,
    maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
    schema: () => apiSchema,
    log,
    registry: metrics.registry,
  });
  const apqResults = new Counter({
    name: 'router_apq_cache_total',
    help: 'Automatic persisted query cache lookups and registrations, by result',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  // Registration is off where only listed operations may run.
  const apq = mode === 'off' || mode === 'audit';
  const sandbox = config.ROUTER_SANDBOX ?? !production;

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: log,
    introspection: config.ROUTER_INTROSPECTION ?? !production,
    formatError: routerFormatError(production),
    includeStacktraceInErrorResponses: !production,
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    stringifyResult: compactJson,
    parseOptions: { maxTokens: config.ROUTER_MAX_TOKENS },
    persistedQueries: apq
      ? {
          cache: new RedisApqCache({
            redis,
            ttlSeconds: config.ROUTER_APQ_TTL_SECONDS,
            maxBytes: config.ROUTER_APQ_MAX_BYTES,
            log,
            onResult: (result) => apqResults.inc({ result }),
          }),
          ttl: config.ROUTER_APQ_TTL_SECONDS,
        }
      : false,
    plugins: [
      ApolloServerPluginCacheControl({ calculateHttpHeaders: true }),
      frontDoor.plugin,
      requestLogPlugin(log, metrics, ROUTER_CODES, { counterHeaders: false }),
      sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  try {
    await apollo.start();
  } catch (error) {
    await closeDataSources();
    manifests.stop();
    closeRedis();
    throw error;
  }

  const tokenChecks = new Counter({
    name: 'router_access_token_checks_total',
    help: 'Access tokens checked, by result: remembered (verified earlier), verified, refused, or unavailable (the JWKS could not be fetched)',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  const verifyToken = createTokenVerifier({
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    log,
    onResult: (result) => tokenChecks.inc({ result }),
  });
  let stopping = false;
  const routes: Record<string, Route> = {
    ...healthRoutes(async () => ({}), metrics, 'router'),
    // Ready means this router can plan queries. Subgraphs are reported but do not count: one
    // subgraph down still leaves the rest of the graph to serve.
    '/health/ready': async (_req, res) => {
      const ok = !stopping && supergraph.status.loadedAt !== null;
      // The router's port is public: in production, say whether it is ready and nothing more
      // (paths, subgraph states and Redis errors would describe the inside to anyone).
      if (config.NODE_ENV === 'production') return sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
      sendJson(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'unavailable',
        checks: { supergraph: ok ? 'ok' : stopping ? 'stopping' : 'not loaded' },
        supergraph: supergraph.status,
        subgraphs: await probeSubgraphs(subgraphs),
        // Without Redis, clients send full text (APQ) and entities come from the subgraphs (entity cache): it does not count.
        redis: await pingRedis(redis).then(
          () => 'ok',
          (error: Error) => `down: ${error.message}`,
        ),
        persistedQueries: { mode, ...manifests.status },
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
        context: async (req, _body, scope, parsedBody) => {
          const admission = frontDoor.admit(req, parsedBody, scope.trace.traceId);
          const authorization = req.headers.authorization;
          return { scope, identity: await verifyToken(authorization), frontDoor: admission };
        },
      },
    });
  } catch (error) {
    await apollo.stop();
    await closeDataSources();
    manifests.stop();
    closeRedis();
    throw error;
  }
  applyNoStoreDefault(http.server);
  applyCors(http.server, [...config.ROUTER_CORS_ORIGINS, ...(sandbox ? SANDBOX_ORIGINS : []), ...(production ? [] : DEVELOPMENT_ORIGINS)]);
  log.info(
    { url: http.url, supergraph: config.ROUTER_SUPERGRAPH_PATH, subgraphs: Object.fromEntries(subgraphs), persistedQueries: mode, manifestOperations: manifests.status.operations },
    'router listening',
  );

  const served = http;
  return {
    url: served.url,
    supergraph,
    manifests,
    async stop() {
      stopping = true;
      await served.close();
      await apollo.stop();
      await closeDataSources();
      manifests.stop();
      closeRedis();
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
