import { printSubgraphSchema } from '@shop/runtime/subgraph';
import { buildUserSchema } from './schema';

// Used by `npm run compose`: prints this subgraph's SDL on stdout.
buildUserSchema().then((schema) => process.stdout.write(printSubgraphSchema(schema)));
