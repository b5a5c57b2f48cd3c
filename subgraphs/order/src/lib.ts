// What other packages (scripts, tests) may use; the process entry point is index.ts.
export { createOrderApp, type OrderApp } from './app';
export { parseConfig } from './config';
export { migrations } from './migrations';
export * from './seed';
