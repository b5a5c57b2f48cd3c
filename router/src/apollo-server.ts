import type { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { Counter } from 'prom-client';
import { compactJson, requestLogPlugin, type Logger, type Metrics, type Redis } from '@shop/runtime';
import type { RouterConfig } from './config';
import { routerFormatError, ROUTER_CODES } from './format-error';
import { RedisApqCache } from './persisted-queries/apq-cache';
import type { RouterContext } from './context';

/**
 * The router's Apollo Server over the gateway: errors and introspection as fit for production,
 * automatic persisted queries in Redis (where unlisted operations may run), the front door's
 * checks, request logs and the landing page (the Sandbox, or none).
 */
export function createApolloServer(options: {
  config: RouterConfig;
  gateway: ApolloGateway;
  redis: Redis;
  frontDoorPlugin: ApolloServerPlugin<RouterContext>;
  sandbox: boolean;
  log: Logger;
  metrics: Metrics;
}): ApolloServer<RouterContext> {
  const { config, log, metrics } = options;
  const production = config.NODE_ENV === 'production';
  const mode = config.ROUTER_PERSISTED_QUERIES_MODE;
  const apqResults = new Counter({
    name: 'router_apq_cache_total',
    help: 'Automatic persisted query cache lookups and registrations, by result',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  // Registration is off where only listed operations may run.
  const apq = mode === 'off' || mode === 'audit';

  return new ApolloServer<RouterContext>({
    gateway: options.gateway,
    logger: log,
    // Shutdown is the router's (drain, then close): Apollo must not stop itself on SIGTERM.
    stopOnTerminationSignals: false,
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
            redis: options.redis,
            ttlSeconds: config.ROUTER_APQ_TTL_SECONDS,
            maxBytes: config.ROUTER_APQ_MAX_BYTES,
            maxEntries: config.ROUTER_APQ_MAX_ENTRIES,
            maxTotalBytes: config.ROUTER_APQ_MAX_TOTAL_BYTES,
            log,
            onResult: (result) => apqResults.inc({ result }),
          }),
          ttl: config.ROUTER_APQ_TTL_SECONDS,
        }
      : false,
    plugins: [
      ApolloServerPluginCacheControl({ calculateHttpHeaders: true }),
      options.frontDoorPlugin,
      requestLogPlugin(log, metrics, ROUTER_CODES, { counterHeaders: false, logFields: (context) => ({ clientAddress: context.clientAddress }) }),
      options.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
}
