import { printSubgraphSdl } from '@shop/runtime/subgraph';
import { buildOrderSchema } from './schema';

// Used by `npm run compose`: prints this subgraph's SDL on stdout.
printSubgraphSdl(buildOrderSchema);
