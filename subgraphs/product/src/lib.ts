// What other packages (scripts, tests) may use; the process entry point is index.ts.
export { createProductApp, type ProductApp } from './app';
export { parseConfig } from './config';
export { migrations } from './migrations';
export * from './seed';
