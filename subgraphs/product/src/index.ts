import { loadConfigOrExit, runUntilSignal } from '@shop/runtime';
import { createProductApp } from './app';
import { parseConfig } from './config';

const config = loadConfigOrExit(() => parseConfig(process.env));
runUntilSignal(() => createProductApp(config), { drainSeconds: config.SHUTDOWN_DRAIN_SECONDS });
