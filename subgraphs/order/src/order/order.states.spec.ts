import { describe, expect, it } from 'vitest';
import { isFinal, nextStatus, ORDER_STATUSES, type OrderStatus, type OrderTrigger } from './order.states';

describe('order state machine', () => {
  it('moves a pending order by the stock verdict or a cancel', () => {
    expect(nextStatus('PENDING', 'stock.reserved')).toBe('CONFIRMED');
    expect(nextStatus('PENDING', 'stock.reservation-failed')).toBe('REJECTED');
    expect(nextStatus('PENDING', 'cancel')).toBe('CANCELLED');
  });

  it('lets a confirmed order be cancelled and nothing else', () => {
    expect(nextStatus('CONFIRMED', 'cancel')).toBe('CANCELLED');
    expect(nextStatus('CONFIRMED', 'stock.reserved')).toBeNull();
    expect(nextStatus('CONFIRMED', 'stock.reservation-failed')).toBeNull();
  });

  it('never moves a final order, so late events are ignored', () => {
    const triggers: OrderTrigger[] = ['stock.reserved', 'stock.reservation-failed', 'cancel'];
    for (const status of ['REJECTED', 'CANCELLED'] as OrderStatus[]) {
      expect(isFinal(status)).toBe(true);
      for (const trigger of triggers) expect(nextStatus(status, trigger)).toBeNull();
    }
  });

  it('has exactly two final states', () => {
    expect(ORDER_STATUSES.filter(isFinal)).toEqual(['REJECTED', 'CANCELLED']);
  });
});
