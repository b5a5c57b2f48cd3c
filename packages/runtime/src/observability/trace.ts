import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

export function parseTraceparent(value: string | null | undefined): TraceContext | null {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return null;
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

// randomUUID draws from a buffered entropy pool; randomBytes per request showed in profiles.
const randomHex = () => randomUUID().replace(/-/g, '');

/** A child span of the incoming context, or a new trace when there is none. */
export function childTrace(parent: TraceContext | null): TraceContext {
  return {
    traceId: parent?.traceId ?? randomHex(),
    spanId: randomHex().slice(0, 16),
    flags: parent?.flags ?? '01',
  };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/** What one request or one event handling has done, readable from anywhere below it. */
export interface RequestScope {
  trace: TraceContext;
  sqlStatements: number;
  cacheHits: number;
  cacheMisses: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInScope<T>(trace: TraceContext, fn: () => T): T {
  return storage.run({ trace, sqlStatements: 0, cacheHits: 0, cacheMisses: 0 }, fn);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

export function currentTraceparent(): string | null {
  const scope = storage.getStore();
  return scope ? formatTraceparent(scope.trace) : null;
}
