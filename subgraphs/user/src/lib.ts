// What other packages (scripts, tests) may use; the process entry point is index.ts.
export { createUserApp, type UserApp } from './app';
export { parseConfig, type UserConfig } from './config';
export { migrations } from './migrations';
export * from './seed';
