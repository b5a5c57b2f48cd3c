import { printSubgraphSchema } from '@shop/runtime/subgraph';
import { buildProductSchema } from './schema';

// Used by `npm run compose`: prints this subgraph's SDL on stdout.
buildProductSchema().then((schema) => process.stdout.write(printSubgraphSchema(schema)));
