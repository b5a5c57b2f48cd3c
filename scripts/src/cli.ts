import { ConfigError } from '@shop/runtime';

/** Exit codes: 1 failure, 2 usage, 78 configuration (as the services use). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a CLI entry point: prints a failure without a stack where the message says it all. */
export function runCli(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(78);
      }
      process.stderr.write(`${describeError(error)}\n`);
      process.exit(1);
    },
  );
}

/** Connection failures name the address that is down instead of a bare errno with a stack. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  const { code, address, port } = (error ?? {}) as { code?: string; address?: string; port?: number };
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    const where = port ? ` to ${address ?? ''}:${port}` : '';
    return `cannot connect${where} (${code}). Are PostgreSQL, Redis and RabbitMQ running?`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
