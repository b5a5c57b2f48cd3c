import { describe, expect, it } from 'vitest';
import { RecentInvalidations } from './recent-invalidations';

describe('RecentInvalidations', () => {
  it('tells whether a key was invalidated at or after a read began', () => {
    const recent = new RecentInvalidations(1_000);
    recent.record(['a'], 100);
    expect(recent.since('a', 99)).toBe(true);
    expect(recent.since('a', 100)).toBe(true); // the same millisecond: the read may have missed it
    expect(recent.since('a', 101)).toBe(false);
    expect(recent.since('b', 0)).toBe(false);
    recent.record(['a'], 500);
    expect(recent.since('a', 200)).toBe(true);
  });

  it('forgets keys past its window once it holds more than its bound, newest kept', () => {
    const recent = new RecentInvalidations(1_000, 2);
    recent.record(['a', 'b'], 0);
    recent.record(['c'], 600);
    recent.record(['a'], 700); // 'a' again: now the newest
    recent.record(['d'], 1_500); // over the bound: 'b' (at 0) goes; 'c' (at 600) is still in the window
    expect(recent.since('b', 0)).toBe(false);
    expect(recent.since('c', 600)).toBe(true);
    expect(recent.since('a', 700)).toBe(true);
    expect(recent.since('d', 1_500)).toBe(true);
  });
});
