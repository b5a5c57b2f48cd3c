import { loadConfigOrExit, runUntilSignal } from '@shop/runtime';
import { createCartApp } from './app';
import { parseConfig } from './config';

const config = loadConfigOrExit(() => parseConfig(process.env));
runUntilSignal(() => createCartApp(config), { drainSeconds: config.SHUTDOWN_DRAIN_SECONDS });
