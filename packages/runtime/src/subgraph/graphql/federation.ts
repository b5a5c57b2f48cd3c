import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';

const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';

export { printSubgraphSchema };

/** A class decorated for type-graphql: a resolver or an object type. */
type DecoratedClass = new (...args: never[]) => unknown;

/**
 * type-graphql → SDL with directives → @apollo/subgraph. Reference resolvers are passed
 * beside the type-graphql resolvers, one map entry per entity.
 */
export async function buildFederatedSchema(options: {
  resolvers: NonEmptyArray<DecoratedClass>;
  orphanedTypes?: DecoratedClass[];
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

/** For `npm run compose`: prints a subgraph's SDL on stdout; a failure to build it exits non-zero. */
export function printSubgraphSdl(build: () => Promise<GraphQLSchema>): void {
  build().then(
    (schema) => process.stdout.write(printSubgraphSchema(schema)),
    (error: unknown) => {
      process.stderr.write(`could not build the schema: ${error instanceof Error ? error.stack : JSON.stringify(error)}\n`);
      process.exitCode = 1;
    },
  );
}
