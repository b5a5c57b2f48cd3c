import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// The scale tests run a whole replicated shop (HAProxy, 2 routers, 8 subgraph replicas) under
// load for minutes: alone, after the other tests (npm test), so neither slows the other into a
// timeout. `npx vitest run --config vitest.scale.config.mts` runs just them.
export default defineConfig({
  resolve: { alias: { graphql: require.resolve('graphql/index.js') } },
  test: {
    include: ['test/scale/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
