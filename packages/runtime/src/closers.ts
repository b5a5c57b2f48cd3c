import type { Logger } from './observability/logger';

/**
 * What a composition root has opened, to close in reverse. Each resource adds its closer right
 * after it is opened; `closeAll()` runs them last-first, awaiting each, and goes on past a
 * failure (logged with the closer's name). It then rejects with that failure (several: an
 * AggregateError naming them), so a caller still learns the shutdown was not clean. A second
 * `closeAll()` closes nothing again: it answers as the first did.
 */
export class Closers {
  private readonly stack: Array<{ name: string; close: () => unknown }> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly log?: Pick<Logger, 'error'>) {}

  /** `close` may return a promise; it is awaited before the closer added before it runs. */
  add(name: string, close: () => unknown): void {
    this.stack.push({ name, close });
  }

  closeAll(): Promise<void> {
    this.closing ??= this.run();
    return this.closing;
  }

  private async run(): Promise<void> {
    const failures: Array<{ name: string; error: unknown }> = [];
    for (const { name, close } of this.stack.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failures.push({ name, error });
        this.log?.error({ err: error, closer: name }, `closing ${name} failed`);
      }
    }
    if (failures.length === 1) throw failures[0]!.error;
    if (failures.length > 1) {
      throw new AggregateError(
        failures.map((failure) => failure.error),
        `closing failed: ${failures.map((failure) => failure.name).join(', ')}`,
      );
    }
  }
}
