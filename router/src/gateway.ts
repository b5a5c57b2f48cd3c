import { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '@shop/runtime';
import type { EntityCaches } from './entity-cache';
import { SignedDataSource } from './signed-data-source';
import type { SupergraphFile } from './supergraph-file';

export interface RouterGateway {
  gateway: ApolloGateway;
  /** Subgraph name → the URL its requests go to, as the gateway last asked for them. */
  subgraphs: ReadonlyMap<string, string>;
  /** The API schema of the supergraph last loaded; undefined before the first. */
  apiSchema: () => GraphQLSchema | undefined;
  /** Closes the subgraph clients (and their connections) the gateway has built. */
  closeDataSources: () => Promise<void>;
}

/**
 * The Apollo Gateway over the supergraph file, with a signed client per subgraph (at its
 * configured URL, else the one in the supergraph). It builds them when Apollo starts.
 */
export function createGateway(options: {
  supergraph: SupergraphFile;
  /** Subgraph name → URL, from the config. */
  urls: Record<string, string>;
  signingSecret: string;
  entityCaches: EntityCaches | null;
  log: Logger;
}): RouterGateway {
  const { urls, signingSecret, entityCaches, log } = options;
  const subgraphs = new Map<string, string>();
  // The gateway asks for data sources again on every supergraph reload: one per subgraph and
  // URL is kept, with its connections, and closed when the router stops.
  const dataSources = new Map<string, SignedDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraph.hook,
    logger: log,
    buildService: ({ name, url }) => {
      const target = urls[name] ?? url;
      if (!target) throw new Error(`The supergraph names a subgraph "${name}" with no URL, and none is configured.`);
      if (!urls[name]) log.warn({ subgraph: name, url }, 'no URL configured for this subgraph; using the one in the supergraph');
      subgraphs.set(name, target);
      const key = `${name} ${target}`;
      let source = dataSources.get(key);
      if (!source) {
        source = new SignedDataSource(name, target, signingSecret, log, undefined, entityCaches?.of(name));
        dataSources.set(key, source);
      }
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
