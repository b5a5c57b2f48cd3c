import { buildSubgraphSchema } from '@apollo/subgraph';
export { printSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';

/**
 * type-graphql → SDL with directives → @apollo/subgraph. Reference resolvers are passed
 * beside the type-graphql resolvers, one map entry per entity.
 */
export async function buildFederatedSchema(options: {
  resolvers: NonEmptyArray<Function>;
  orphanedTypes?: Function[];
  references?: GraphQLResolverMap<any>;
}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: false,
    skipCheck: true,
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<any>;
  for (const [typeName, reference] of Object.entries(options.references ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(reference as object) };
  }
  return buildSubgraphSchema({ typeDefs, resolvers });
}
