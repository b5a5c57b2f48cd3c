import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout (or `destination`, for tests that read them), one object per line. */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** Logs at most once per interval per key: a dead dependency must not flood the log. */
export function throttledLog(intervalMs: number) {
  const last = new Map<string, number>();
  return (key: string, log: () => void) => {
    const now = Date.now();
    if ((last.get(key) ?? 0) + intervalMs > now) return;
    last.set(key, now);
    log();
  };
}
