import { describe, expect, it } from 'vitest';
import { Breaker, BREAKER_STATE_NAMES, BreakerState } from './breaker';

function breaker(failures = 3, openMs = 1_000) {
  const changes: string[] = [];
  const b = new Breaker({ failures, openMs }, (breaker, from) => changes.push(`${BREAKER_STATE_NAMES[from]}→${BREAKER_STATE_NAMES[breaker.state]}`));
  return { b, changes };
}

describe('Breaker', () => {
  it('stays closed below the consecutive failures, and a success starts the count again', () => {
    const { b, changes } = breaker(3);
    b.failed(0);
    b.failed(0);
    b.succeeded();
    b.failed(0);
    b.failed(0);
    expect(b.state).toBe(BreakerState.closed);
    expect(b.admits(0)).toBe(true);
    expect(changes).toEqual([]);
  });

  it('opens at the Nth consecutive failure and admits nothing until its time is up', () => {
    const { b, changes } = breaker(3, 1_000);
    for (let i = 0; i < 3; i++) b.failed(100);
    expect(b.state).toBe(BreakerState.open);
    expect(b.admits(100)).toBe(false);
    expect(b.admits(1_099)).toBe(false);
    expect(b.stateAt(1_099)).toBe(BreakerState.open);
    expect(changes).toEqual(['closed→open']);
  });

  it('half-open: admits one probe at a time; its success closes the breaker', () => {
    const { b, changes } = breaker(1, 1_000);
    b.failed(0);
    expect(b.stateAt(1_000)).toBe(BreakerState.halfOpen);
    expect(b.admits(1_000)).toBe(true);
    expect(b.admits(1_001)).toBe(false); // the probe is out
    b.succeeded();
    expect(b.state).toBe(BreakerState.closed);
    expect(b.admits(1_002)).toBe(true);
    expect(b.admits(1_002)).toBe(true);
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);
  });

  it('half-open: a failed probe opens it again for another open time', () => {
    const { b, changes } = breaker(2, 1_000);
    b.failed(0);
    b.failed(0);
    expect(b.admits(1_500)).toBe(true);
    b.failed(1_600);
    expect(b.state).toBe(BreakerState.open);
    expect(b.admits(2_500)).toBe(false);
    expect(b.admits(2_600)).toBe(true);
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open']);
  });

  it('half-open: an abandoned probe frees the slot for the next fetch', () => {
    const { b } = breaker(1, 10);
    b.failed(0);
    expect(b.admits(10)).toBe(true);
    expect(b.admits(10)).toBe(false);
    b.abandoned();
    expect(b.state).toBe(BreakerState.halfOpen);
    expect(b.admits(10)).toBe(true);
  });

  it('open: a late failure keeps its open time; a late success closes it', () => {
    const { b, changes } = breaker(1, 1_000);
    b.failed(0);
    b.failed(500);
    expect(b.stateAt(1_000)).toBe(BreakerState.halfOpen);
    const { b: other } = breaker(1, 1_000);
    other.failed(0);
    other.succeeded();
    expect(other.state).toBe(BreakerState.closed);
    expect(changes).toEqual(['closed→open', 'open→half-open']);
  });
});
