import { loadConfigOrExit, runUntilSignal } from '@shop/runtime';
import { createUserApp } from './app';
import { parseConfig } from './config';

const config = loadConfigOrExit(() => parseConfig(process.env));
runUntilSignal(() => createUserApp(config), { drainSeconds: config.SHUTDOWN_DRAIN_SECONDS });
