import { describe, expect, it } from 'vitest';
import { isTransient } from './inbox';

describe('isTransient', () => {
  it('waits out an unreachable or restarting database', () => {
    expect(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('could not serialize access'), { code: '40001' }))).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('counts anything else against the event, which is dead-lettered after its attempts', () => {
    expect(isTransient(new Error('malformed order.placed payload'))).toBe(false);
    expect(isTransient(Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
