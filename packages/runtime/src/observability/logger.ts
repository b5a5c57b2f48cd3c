import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(service: string, level: string): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
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
