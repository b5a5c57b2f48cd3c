import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseFirst } from './pagination';

describe('pagination', () => {
  it('round-trips a cursor', () => {
    const cursor = { createdAt: new Date('2026-11-28T10:00:00.123Z'), id: '6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('refuses a forged cursor and first outside 1..100', () => {
    expect(() => decodeCursor('bm9wZQ')).toThrow(/cursor/);
    const farPast = Buffer.from('-100000-01-01T00:00:00.000Z|6f1c3c9e-8b1f-4d7e-9a53-2c1d0e4b5a6f').toString('base64url');
    expect(() => decodeCursor(farPast)).toThrow(/cursor/);
    expect(() => parseFirst(0)).toThrow(/between 1 and 100/);
    expect(() => parseFirst(101)).toThrow(/between 1 and 100/);
    expect(parseFirst(undefined)).toBe(20);
  });
});
