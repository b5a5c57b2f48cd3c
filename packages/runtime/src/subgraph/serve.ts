import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { Kysely, Migration } from 'kysely';
import type { GraphQLSchema } from 'graphql';
import { verifyRequest } from '../auth/request-signature';
import type { Identity } from '../auth/identity';
import { CacheGeneration } from '../cache/generation';
import { InvalidationChannel } from '../cache/invalidation-channel';
import { cacheInvalidationChannel } from '../cache/keys';
import { createRedis, pingRedis, type Redis } from '../cache/redis';
import { resolveSigningSecrets, type ServiceEnv } from '../config';
import { EventBus } from '../events/bus';
import { compactJson, formatErrorFor, publicQueryCachePlugin, rejectNulCharactersPlugin, requestLogPlugin, type ScopedContext } from '../graphql/plugins';
import { boundedProbe, healthRoutes, HttpError, startHttpServer, type Route } from '../http/server';
import { createLogger, type Logger } from '../observability/logger';
import { createMetrics, type Metrics } from '../observability/metrics';
import { formatTraceparent, type RequestScope } from '../observability/trace';
import { Closers } from '../closers';
import { EntityCache } from './cache/entity-cache';
import { createDatabase, ensureDatabase, migrateToLatest, pingDatabase, requestDatabase } from './db/database';
import { OutboxRelay } from './events/relay';
import { EventRetention } from './events/retention';
import type { EventTables } from './events/tables';

const POSTGRES_PROBE_TIMEOUT_MS = 1_000;
const REDIS_PROBE_TIMEOUT_MS = 500;

export interface EntityCacheFactoryOptions {
  schemaVersion?: number;
  shared?: boolean;
  entityType?: string;
}

/** The connections a subgraph needs, opened in order: config → db → redis → events. */
export interface SubgraphDeps<DB> {
  name: string;
  env: ServiceEnv;
  log: Logger;
  metrics: Metrics;
  db: Kysely<DB & EventTables>;
  redis: Redis;
  bus: EventBus;
  relay: OutboxRelay;
  /** Deletes published outbox rows and inbox records past EVENTS_RETENTION_HOURS, hourly. */
  retention: EventRetention;
  signingSecrets: string[];
  cacheGeneration: CacheGeneration;
  /** Carries invalidations between replicas, for the in-process layers of shared entities. */
  invalidations: InvalidationChannel;
  /**
   * A read-through cache for one entity, TTL from CACHE_TTLS / CACHE_TTL_SECONDS. `shared`:
   * the same for every caller (never per-user data), so also kept in process memory for
   * CACHE_LOCAL_TTL_SECONDS. `entityType`: see EntityCacheOptions (only with `shared`).
   */
  entityCache<V>(entity: string, options?: EntityCacheFactoryOptions): EntityCache<V>;
}

export async function openSubgraphDeps<DB>(name: string, env: ServiceEnv, migrations: Record<string, Migration>): Promise<SubgraphDeps<DB>> {
  const log = createLogger(name, env.LOG_LEVEL);
  const metrics = createMetrics(name);
  const signingSecrets = resolveSigningSecrets(env);
  await ensureDatabase(env.POSTGRES_URL, env.POSTGRES_DB);
  const db = createDatabase<DB & EventTables>({
    url: env.POSTGRES_URL,
    database: env.POSTGRES_DB,
    poolSize: env.POSTGRES_POOL_SIZE,
    onConnectionError: (error) => log.warn({ err: error }, 'a Postgres connection was closed; the next query opens a new one'),
  });
  const applied = await migrateToLatest(db, migrations);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const redis = createRedis({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, log });
  const bus = new EventBus({
    url: env.RABBITMQ_URL,
    exchange: env.RABBITMQ_EXCHANGE,
    queuePrefix: env.RABBITMQ_QUEUE_PREFIX,
    maxDeliveryAttempts: env.RABBITMQ_MAX_DELIVERY_ATTEMPTS,
    retryBaseMs: env.RABBITMQ_RETRY_BASE_MS,
    log,
    metrics,
  });
  await bus.declareTopology(5_000);
  const relay = new OutboxRelay(db, bus, { pollMs: env.OUTBOX_POLL_MS, log, metrics });
  const retention = new EventRetention(db, { retentionHours: env.EVENTS_RETENTION_HOURS, log });
  const cacheGeneration = new CacheGeneration({ redis, subgraph: name, log });
  await cacheGeneration.sync();
  const invalidations = new InvalidationChannel(redis, cacheInvalidationChannel(env.REDIS_KEY_PREFIX, name), log);
  const entityCache = <V>(entity: string, options: EntityCacheFactoryOptions = {}) =>
    new EntityCache<V>(redis, {
      subgraph: name,
      entity,
      schemaVersion: options.schemaVersion ?? 1,
      ttlSeconds: env.CACHE_TTLS[entity] ?? env.CACHE_TTL_SECONDS,
      generation: cacheGeneration,
      log,
      metrics,
      entityType: options.shared ? options.entityType : undefined,
      local: options.shared ? { ttlMs: env.CACHE_LOCAL_TTL_SECONDS * 1000, maxEntries: env.CACHE_LOCAL_MAX_ENTRIES, channel: invalidations } : undefined,
    });
  retention.start();
  return { name, env, log, metrics, db, redis, bus, relay, retention, signingSecrets, cacheGeneration, invalidations, entityCache };
}

/**
 * Closes what openSubgraphDeps opened, once the server has stopped: consumers stop taking
 * events (the ones in hand commit and are acked), then the relay finishes its batch
 * (publishing what the last requests and events wrote), then the connections close.
 */
export async function closeSubgraphDeps(deps: SubgraphDeps<any>): Promise<void> {
  await deps.bus.stopConsuming().catch((error: unknown) => deps.log.warn({ err: error }, 'stopping the event consumers failed'));
  await deps.relay.stop();
  await deps.retention.stop();
  await deps.bus.close().catch(() => undefined);
  deps.cacheGeneration.stop();
  deps.invalidations.stop();
  deps.redis.disconnect();
  await deps.db.destroy();
}

export interface ServedSubgraph {
  url: string;
  stop: () => Promise<void>;
}

/** What a subgraph's per-request context is built from. */
export interface SubgraphRequest<DB> {
  /** The caller the router vouched for, or null. */
  identity: Identity | null;
  /** The request's trace and counters. */
  scope: RequestScope;
  /** The subgraph's database as this request uses it: every statement counted into `scope`. */
  db: Kysely<DB & EventTables>;
  /** The request's trace, for the events its writes cause. */
  traceparent: string;
}

/**
 * Serves a subgraph schema. /graphql accepts only requests signed by the router; health,
 * metrics and any extra routes (the JWKS) need no proof.
 */
export async function serveSubgraph<DB, TContext extends ScopedContext>(options: {
  deps: SubgraphDeps<DB>;
  schema: GraphQLSchema;
  context: (request: SubgraphRequest<DB>) => TContext;
  routes?: Record<string, Route>;
  /**
   * Set when every query answer of this subgraph is public data (the product catalogue): the
   * seconds a shared cache may keep it. Unset, answers carry no hint, and the router reads the
   * missing header as "no-store".
   */
  publicMaxAgeSeconds?: number;
}): Promise<ServedSubgraph> {
  const { deps } = options;
  const production = deps.env.NODE_ENV === 'production';
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError: formatErrorFor(production),
    includeStacktraceInErrorResponses: !production,
    stringifyResult: compactJson,
    // Shutdown is ours (drain, then close): Apollo must not stop itself on SIGTERM.
    stopOnTerminationSignals: false,
    plugins: [
      requestLogPlugin(deps.log, deps.metrics),
      rejectNulCharactersPlugin(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ...(options.publicMaxAgeSeconds ? [publicQueryCachePlugin<TContext>(options.publicMaxAgeSeconds)] : []),
    ],
  });
  await apollo.start();
  // Ready means able to serve: Postgres answers. Redis and RabbitMQ are reported only, since a
  // subgraph serves without them (reads from Postgres, events wait in the outbox). Each probe
  // is bounded, so a hung dependency answers 503 (or "down") well within a checker's timeout.
  const postgres = boundedProbe(() => pingDatabase(deps.db), POSTGRES_PROBE_TIMEOUT_MS);
  const redis = boundedProbe(() => pingRedis(deps.redis), REDIS_PROBE_TIMEOUT_MS);
  const readiness = async () => {
    const [postgresState, redisState] = await Promise.all([postgres(), redis()]);
    return {
      ready: postgresState === 'ok',
      checks: { postgres: postgresState, redis: redisState, rabbitmq: deps.bus.connection.ready ? 'ok' : 'down: not connected' },
    };
  };
  const http = await startHttpServer<TContext>({
    host: deps.env.HOST,
    port: deps.env.PORT,
    log: deps.log,
    routes: { ...healthRoutes(readiness, deps.metrics, deps.name), ...options.routes },
    graphql: {
      path: '/graphql',
      apollo,
      maxBodyBytes: 1_000_000,
      context: async (req, body, scope) => {
        const proof = verifyRequest(deps.signingSecrets, {
          audience: deps.name,
          method: req.method ?? '',
          headers: req.headers,
          body,
          maxSkewSeconds: deps.env.ROUTER_SIGNATURE_MAX_SKEW_SECONDS,
        });
        if (!proof.ok) {
          deps.log.warn({ reason: proof.reason, remote: req.socket.remoteAddress }, 'unsigned subgraph request refused');
          throw new HttpError(401, 'This service only accepts requests that come through the router.', 'UNAUTHENTICATED');
        }
        return options.context({ identity: proof.identity, scope, db: requestDatabase(deps.db, scope), traceparent: formatTraceparent(scope.trace) });
      },
    },
  });
  deps.log.info({ url: http.url }, `${deps.name} subgraph listening`);
  return {
    url: http.url,
    // Drain (SHUTDOWN_DRAIN_SECONDS), close the listener, wait for the requests in flight.
    stop: async () => {
      await http.shutdown(deps.env.SHUTDOWN_DRAIN_SECONDS * 1000);
      await apollo.stop();
    },
  };
}

/**
 * The last step of a composition root: runs `start` (consumers, relay, server) and, if it
 * fails, closes what `openSubgraphDeps` opened. The result's stop() is the graceful shutdown
 * (SIGTERM calls it too): the server drains and closes, then the deps close; once however
 * often it is called. Draining starts as stop() is called.
 */
export async function launchSubgraph(deps: SubgraphDeps<any>, start: () => Promise<ServedSubgraph>): Promise<ServedSubgraph> {
  const closers = new Closers(deps.log);
  closers.add('connections', () => closeSubgraphDeps(deps));
  try {
    const served = await start();
    closers.add('server', () => served.stop());
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= closers.closeAll().then(() => deps.log.info('stopped')));
    return { url: served.url, stop };
  } catch (error) {
    await closers.closeAll().catch(() => undefined);
    throw error;
  }
}
