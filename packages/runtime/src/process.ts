import { ConfigError } from './config/env';

/**
 * Runs a service until SIGINT/SIGTERM, then stops it (draining requests and connections)
 * and exits. A failure to start exits non-zero with the reason.
 */
export function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>): void {
  start().then(
    (app) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        app.stop().then(
          () => process.exit(0),
          (error) => {
            process.stderr.write(`shutdown after ${signal} failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    },
    (error) => {
      process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `failed to start: ${error?.stack ?? error}\n`);
      process.exit(error instanceof ConfigError ? 78 : 1);
    },
  );
}
