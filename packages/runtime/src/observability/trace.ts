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

/**
 * What one request has done, handed down explicitly: the HTTP server makes one per request
 * and puts it in the GraphQL context, the request's loaders and database handle count into
 * it, and the request log reads it. Not AsyncLocalStorage: on Node 20 that turns on promise
 * hooks for every promise in the process (2 to 7% of each service's CPU in profiles).
 */
export interface RequestScope {
  trace: TraceContext;
  sqlStatements: number;
  cacheHits: number;
  cacheMisses: number;
}

export function newRequestScope(trace: TraceContext): RequestScope {
  return { trace, sqlStatements: 0, cacheHits: 0, cacheMisses: 0 };
}

/** The traceparent of a span continuing the one that sent `traceparent` (an event's, say). */
export function continueTraceparent(traceparent: string | null | undefined): string {
  return formatTraceparent(childTrace(parseTraceparent(traceparent)));
}
