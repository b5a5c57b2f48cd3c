import { describe, expect, it } from 'vitest';
import { childTrace, formatTraceparent, parseTraceparent } from './trace';

describe('W3C trace context', () => {
  it('continues an incoming trace with a new span', () => {
    const parent = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')!;
    const child = childTrace(parent);
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(parseTraceparent(formatTraceparent(child))).toEqual(child);
  });

  it('starts a new trace for a missing or invalid header', () => {
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('garbage')).toBeNull();
    const fresh = childTrace(null);
    expect(formatTraceparent(fresh)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(childTrace(null).traceId).not.toBe(fresh.traceId);
  });
});
