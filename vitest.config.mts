import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql: type-graphql and @apollo/* load the CommonJS build.
    alias: { graphql: require.resolve('graphql/index.js') },
  },
  test: {
    include: [
      'packages/*/src/**/*.spec.ts',
      'subgraphs/*/src/**/*.spec.ts',
      'packages/*/test/**/*.test.ts',
      'subgraphs/*/test/**/*.test.ts',
      'router/src/**/*.spec.ts',
      'router/test/**/*.test.ts',
      'test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
    ],
    // Run by themselves after the rest (vitest.scale.config.mts).
    exclude: [...configDefaults.exclude, 'test/scale/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
