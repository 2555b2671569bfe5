import { describe, expect, it } from 'vitest';
import { holds, isLive, takeLease } from '../../../functions/store/delivery-lease.ts';

const NOW = Date.parse('2026-12-05T10:00:00Z');

describe('the delivery lease rules', () => {
  it('takes a free or lapsed lease, and answers who holds a live one until when', () => {
    expect(takeLease(undefined, { newLeaseId: 'a', leaseMs: 1000 }, NOW)).toEqual({
      kind: 'take',
      lease: { leaseId: 'a', expiresAt: '2026-12-05T10:00:01.000Z' },
    });
    const live = { leaseId: 'a', expiresAt: '2026-12-05T10:00:01.000Z' };
    expect(takeLease(live, { newLeaseId: 'b', leaseMs: 1000 }, NOW)).toEqual({
      kind: 'held',
      until: live.expiresAt,
    });
    // At its expiry instant the lease is over.
    expect(isLive(live, NOW + 1000)).toBe(false);
    expect(takeLease(live, { newLeaseId: 'b', leaseMs: 1000 }, NOW + 1000)).toMatchObject({
      kind: 'take',
      lease: { leaseId: 'b' },
    });
  });

  it('lets only the lease the row holds act on it, lapsed or not', () => {
    const lapsed = { leaseId: 'a', expiresAt: '2026-12-05T09:00:00.000Z' };
    expect(holds(lapsed, 'a')).toBe(true);
    expect(holds(lapsed, 'b')).toBe(false);
    expect(holds(undefined, 'a')).toBe(false);
  });
});
