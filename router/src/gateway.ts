import { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import type { Logger } from '@shop/runtime';
import type { EntityCaches } from './entity-cache';
import type { BreakerOptions } from './subgraphs/breaker';
import { createSubgraphMetrics } from './subgraphs/metrics';
import { SignedDataSource } from './subgraphs/signed-data-source';
import type { SupergraphFile } from './supergraph-file';

export interface RouterGateway {
  gateway: ApolloGateway;
  /** Subgraph name → the URLs of its replicas, as the gateway last asked for them. */
  subgraphs: ReadonlyMap<string, readonly string[]>;
  /** The API schema of the supergraph last loaded; undefined before the first. */
  apiSchema: () => GraphQLSchema | undefined;
  /** Closes the subgraph clients (and their connections) the gateway has built, and stops their probes. */
  closeDataSources: () => Promise<void>;
}

/**
 * The Apollo Gateway over the supergraph file, with a signed client per subgraph: over the
 * replicas configured for it, else at the URL the supergraph gives it. It builds them when
 * Apollo starts.
 */
export function createGateway(options: {
  supergraph: SupergraphFile;
  /** Subgraph name → its replicas' URLs, from the config; a subgraph not named here is reached at its URL in the supergraph. */
  urls: Readonly<Record<string, readonly string[] | undefined>>;
  signingSecret: string;
  /** Longest wait for a subgraph's answer headers, then between body chunks: its own, else the default. */
  timeoutMs: { default: number; subgraphs: Readonly<Record<string, number | undefined>> };
  /** The whole client request's deadline, ms. */
  requestTimeoutMs: number;
  /** Each subgraph replica's circuit breaker. */
  breaker: BreakerOptions;
  entityCaches: EntityCaches | null;
  log: Logger;
  registry: Registry;
}): RouterGateway {
  const { urls, signingSecret, timeoutMs, requestTimeoutMs, breaker, entityCaches, log } = options;
  const subgraphs = new Map<string, readonly string[]>();
  // The gateway asks for data sources again on every supergraph reload: one per subgraph and
  // list of URLs is kept, with its connections, and closed when the router stops.
  const dataSources = new Map<string, SignedDataSource>();
  // The one each subgraph uses now, for the replicas-in-rotation gauge.
  const current = new Map<string, SignedDataSource>();
  const metrics = createSubgraphMetrics(options.registry, {
    *inRotation() {
      for (const [name, source] of current) yield [name, source.replicas.inRotation];
    },
    *breakers() {
      const now = Date.now();
      for (const [name, source] of current) {
        for (const replica of source.replicas.replicas) yield [name, replica.target.url, replica.breaker.stateAt(now)];
      }
    },
  });
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraph.hook,
    logger: log,
    buildService: ({ name, url }) => {
      const targets = urls[name] ?? (url ? [url] : undefined);
      if (!targets) throw new Error(`The supergraph names a subgraph "${name}" with no URL, and none is configured.`);
      subgraphs.set(name, targets);
      const key = `${name} ${targets.join(',')}`;
      let source = dataSources.get(key);
      if (!source) {
        if (!urls[name]) log.info({ subgraph: name, url }, 'no URL configured for this subgraph: using the one in the supergraph');
        source = new SignedDataSource({
          name,
          urls: targets,
          secret: signingSecret,
          log,
          timeoutMs: timeoutMs.subgraphs[name] ?? timeoutMs.default,
          requestTimeoutMs,
          breaker,
          entityCache: entityCaches?.of(name),
          metrics,
        });
        dataSources.set(key, source);
      }
      current.set(name, source);
      return source;
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  return {
    gateway,
    subgraphs,
    apiSchema: () => apiSchema,
    closeDataSources: async () => {
      await Promise.all([...dataSources.values()].map((source) => source.close()));
    },
  };
}
