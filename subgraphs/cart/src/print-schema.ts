import { printSubgraphSdl } from '@shop/runtime/subgraph';
import { buildCartSchema } from './schema';

// Used by `npm run compose`: prints this subgraph's SDL on stdout.
printSubgraphSdl(buildCartSchema);
