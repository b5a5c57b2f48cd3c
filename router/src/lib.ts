// What other packages (scripts, tests) may use; the process entry point is index.ts.
export { createRouterApp, type RouterApp } from './app';
export { parseConfig, routerEnvSchema, subgraphUrls, type RouterConfig } from './config';
export { ROUTER_NODE_FLAGS } from './node-flags';
