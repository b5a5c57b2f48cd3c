import { printSubgraphSdl } from '@shop/runtime/subgraph';
import { buildProductSchema } from './schema';

// Used by `npm run compose`: prints this subgraph's SDL on stdout.
printSubgraphSdl(buildProductSchema);
