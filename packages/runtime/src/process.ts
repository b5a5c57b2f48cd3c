import { ConfigError } from './config/env';

/** How long shutdown may take after the drain before the process exits regardless. */
export const SHUTDOWN_CLOSE_BUDGET_SECONDS = 10;

/**
 * Runs a service until SIGINT/SIGTERM, then stops it with its own stop() (drain for
 * `drainSeconds`, close the listener, wait for the requests in flight, close consumers and
 * pools) and exits 0. If that takes longer than the drain plus SHUTDOWN_CLOSE_BUDGET_SECONDS,
 * it exits 1 regardless. A failure to start exits non-zero with the reason.
 */
export function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>, options: { drainSeconds: number }): void {
  start().then(
    (app) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const budgetSeconds = options.drainSeconds + SHUTDOWN_CLOSE_BUDGET_SECONDS;
        const force = setTimeout(() => {
          process.stderr.write(`shutdown after ${signal} took longer than ${budgetSeconds} s; exiting\n`);
          process.exit(1);
        }, budgetSeconds * 1000);
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
