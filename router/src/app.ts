import { Counter } from 'prom-client';
import {
  Closers,
  createLogger,
  createMetrics,
  createRedis,
  healthRoutes,
  resolveSigningSecrets,
  startHttpServer,
  waitForRedis,
  type Logger,
  type Metrics,
  type Redis,
} from '@shop/runtime';
import { createApolloServer } from './apollo-server';
import { subgraphTimeouts, subgraphUrls, type RouterConfig } from './config';
import { clientAddress, trustedProxies } from './client-address';
import { applyCors, applyNoStoreDefault } from './cors';
import { createEntityCaches, type EntityCaches } from './entity-cache';
import { createFrontDoor } from './front-door';
import { createGateway } from './gateway';
import type { QueryLimits } from './limits';
import { ManifestStore } from './persisted-queries/manifest-store';
import { readinessRoute } from './readiness';
import type { RouterContext } from './context';
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
 * Composition root: config → Redis (APQ, entity caches), supergraph and gateway (subgraph
 * clients), persisted query manifests, front door (limits, safelist), Apollo, token verifier
 * → server. Each resource adds its closer as it is opened; a failed start and stop() both
 * close them, in reverse.
 */
export async function createRouterApp(config: RouterConfig, options: { log?: Logger } = {}): Promise<RouterApp> {
  const production = config.NODE_ENV === 'production';
  const log = options.log ?? createLogger('router', config.LOG_LEVEL);
  const proxies = trustedProxies(config.ROUTER_TRUSTED_PROXIES);
  const metrics = createMetrics('router');
  const [signingSecret] = resolveSigningSecrets(config);
  const mode = config.ROUTER_PERSISTED_QUERIES_MODE;
  const sandbox = config.ROUTER_SANDBOX ?? !production;
  const closers = new Closers(log);

  try {
    const redis = createRedis({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, log });
    closers.add('redis', () => redis.disconnect());
    // Before the gateway: its data sources (built when Apollo starts) take their subgraph's cache.
    const entityCaches = await openEntityCaches(config, redis, log, metrics);
    if (entityCaches) closers.add('entity caches', () => entityCaches.stop());

    const supergraph = new SupergraphFile(config.ROUTER_SUPERGRAPH_PATH, log);
    const { gateway, subgraphs, apiSchema, closeDataSources } = createGateway({
      supergraph,
      urls: subgraphUrls(config),
      signingSecret: signingSecret!,
      timeoutMs: subgraphTimeouts(config),
      requestTimeoutMs: config.ROUTER_REQUEST_TIMEOUT_MS,
      breaker: { failures: config.ROUTER_BREAKER_FAILURES, openMs: config.ROUTER_BREAKER_OPEN_SECONDS * 1_000 },
      entityCaches,
      log,
      registry: metrics.registry,
    });

    const manifests = new ManifestStore(config.ROUTER_PERSISTED_QUERIES_MANIFESTS, log);
    await manifests.start();
    closers.add('persisted query manifests', () => manifests.stop());
    const frontDoor = createFrontDoor({
      mode,
      manifests,
      limits: queryLimits(config),
      maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
      schema: apiSchema,
      log,
      registry: metrics.registry,
    });

    const apollo = createApolloServer({ config, gateway, redis, frontDoorPlugin: frontDoor.plugin, sandbox, log, metrics });
    // Starting Apollo loads the supergraph, and the gateway builds its subgraph clients then.
    closers.add('subgraph clients', closeDataSources);
    await apollo.start();
    closers.add('apollo', () => apollo.stop());

    const verifyToken = tokenVerifier(config, log, metrics);
    closers.add('token verifier', () => verifyToken.close());
    const http = await startHttpServer<RouterContext>({
      host: config.HOST,
      port: config.PORT,
      log,
      routes: {
        ...healthRoutes(async () => ({ ready: true, checks: {} }), metrics, 'router'),
        // (While draining, the server answers /health/ready with 503 itself.)
        '/health/ready': readinessRoute({ production, supergraph, subgraphs, redis, mode, manifests }),
      },
      graphql: {
        path: '/graphql',
        apollo,
        maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
        context: async (req, _body, scope, parsedBody) => {
          const receivedAt = Date.now();
          const client = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies);
          const admission = frontDoor.admit(req, parsedBody, scope.trace.traceId, client);
          const authorization = req.headers.authorization;
          return { scope, identity: await verifyToken(authorization), clientAddress: client, frontDoor: admission, receivedAt };
        },
      },
    });
    closers.add('http server', () => http.close());
    applyNoStoreDefault(http.server);
    applyCors(http.server, [...config.ROUTER_CORS_ORIGINS, ...(sandbox ? SANDBOX_ORIGINS : []), ...(production ? [] : DEVELOPMENT_ORIGINS)]);
    log.info(
      {
        url: http.url,
        supergraph: config.ROUTER_SUPERGRAPH_PATH,
        subgraphs: Object.fromEntries(subgraphs),
        persistedQueries: mode,
        manifestOperations: manifests.status.operations,
      },
      'router listening',
    );

    // Graceful shutdown, for SIGTERM and tests alike: drain (SHUTDOWN_DRAIN_SECONDS), close the
    // listener and wait for the requests in flight, then close the rest. Draining starts as
    // stop() is called.
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        try {
          await http.shutdown(config.SHUTDOWN_DRAIN_SECONDS * 1000);
        } finally {
          await closers.closeAll();
        }
        log.info('stopped');
      })());
    return { url: http.url, supergraph, manifests, stop };
  } catch (error) {
    await closers.closeAll().catch(() => undefined);
    throw error;
  }
}

/**
 * The router's entity caches, or null when they are off. They read the product subgraph's
 * cache generation at once: without Redis the router still starts (those caches stay off
 * until it is back), after at most REDIS_STARTUP_WAIT_MS.
 */
async function openEntityCaches(config: RouterConfig, redis: Redis, log: Logger, metrics: Metrics): Promise<EntityCaches | null> {
  const on = config.CACHE_ENABLED && config.ROUTER_ENTITY_CACHE_TTL_SECONDS > 0 && config.ROUTER_ENTITY_CACHE_SUBGRAPHS.length > 0;
  if (!on) return null;
  await waitForRedis(redis, REDIS_STARTUP_WAIT_MS);
  return createEntityCaches({
    subgraphs: config.ROUTER_ENTITY_CACHE_SUBGRAPHS,
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlSeconds: config.ROUTER_ENTITY_CACHE_TTL_SECONDS,
    maxEntries: config.ROUTER_ENTITY_CACHE_MAX_ENTRIES,
    log,
    registry: metrics.registry,
  });
}

function queryLimits(config: RouterConfig): QueryLimits {
  return {
    maxDepth: config.ROUTER_MAX_DEPTH,
    maxAliases: config.ROUTER_MAX_ALIASES,
    maxRootFields: config.ROUTER_MAX_ROOT_FIELDS,
    maxTokens: config.ROUTER_MAX_TOKENS,
    maxCost: config.ROUTER_MAX_COST,
    defaultListSize: config.ROUTER_COST_DEFAULT_LIST_SIZE,
    costWeights: config.ROUTER_COST_WEIGHTS,
  };
}

/** Verifies access tokens against the user subgraph's JWKS, counting each check by result. */
function tokenVerifier(config: RouterConfig, log: Logger, metrics: Metrics) {
  const checks = new Counter({
    name: 'router_access_token_checks_total',
    help: 'Access tokens checked, by result: remembered (verified earlier), verified, refused, or unavailable (the JWKS could not be fetched)',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  return createTokenVerifier({
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwksRefreshMs: config.AUTH_JWKS_REFRESH_SECONDS * 1000,
    jwksStaleMs: config.AUTH_JWKS_STALE_SECONDS * 1000,
    log,
    onResult: (result) => checks.inc({ result }),
  });
}
