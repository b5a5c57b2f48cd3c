import { loadConfigOrExit, runUntilSignal } from '@shop/runtime';
import { createOrderApp } from './app';
import { parseConfig } from './config';

const config = loadConfigOrExit(() => parseConfig(process.env));
runUntilSignal(() => createOrderApp(config), { drainSeconds: config.SHUTDOWN_DRAIN_SECONDS });
