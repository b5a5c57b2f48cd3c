import { loadConfigOrExit, runUntilSignal } from '@shop/runtime';
import { createRouterApp } from './app';
import { parseConfig } from './config';

const config = loadConfigOrExit(() => parseConfig(process.env));
runUntilSignal(() => createRouterApp(config), { drainSeconds: config.SHUTDOWN_DRAIN_SECONDS });
