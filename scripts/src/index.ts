// What the benchmark and tests reuse; the entry points are compose, migrate, seed and start.
export * from './db/databases';
export * from './schema/compose-supergraph';
export * from './schema/contract';
export * from './seed/args';
export * from './seed/dataset';
export * from './seed/progress';
export * from './subgraphs';
export { REPO_ROOT, SCHEMA_DIR } from './paths';
