import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BREAKER_STATE_NAMES, BreakerState } from './breaker';
import { ReplicaSet, type Replica } from './replica-set';

/** A set over named targets whose probe answers what `ready` says, on a clock the test moves. */
function replicaSet(names: string[], ready: Record<string, boolean> = {}, breaker?: { failures: number; openMs: number }) {
  let clock = 1_000;
  const probed: string[] = [];
  const changes: string[] = [];
  const set: ReplicaSet<string> = new ReplicaSet(names, {
    probe: (name) => {
      probed.push(name);
      return Promise.resolve(ready[name] ?? false);
    },
    probeIntervalMs: { min: 500, max: 500 },
    now: () => clock,
    onChange: (replica) => changes.push(`${replica.target} ${replica.inRotation ? 'in' : 'out'} (${set.inRotation})`),
    breaker,
    onBreakerChange: (replica) => changes.push(`${replica.target} breaker ${BREAKER_STATE_NAMES[replica.breaker.state]}`),
  });
  const named = (name: string) => set.replicas.find((replica) => replica.target === name)!;
  return {
    set,
    ready,
    probed,
    changes,
    named,
    tick: (ms = 1) => (clock += ms),
    picks: (count: number, other: Replica<string> | null = null) => Array.from({ length: count }, () => set.pick(other)?.target ?? null),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ReplicaSet', () => {
  it('takes the replicas in rotation, from the first', () => {
    const { set, picks } = replicaSet(['a', 'b', 'c']);
    expect(set.inRotation).toBe(3);
    expect(picks(7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('refuses an empty list', () => {
    expect(() => new ReplicaSet([], { probe: () => Promise.resolve(true) })).toThrow(/at least one/);
  });

  it('skips a replica out of rotation, and gives another than the one a fetch already tried', () => {
    const { set, named, picks } = replicaSet(['a', 'b', 'c']);
    set.failed(named('b'));
    expect(set.inRotation).toBe(2);
    expect(picks(4)).toEqual(['a', 'c', 'a', 'c']);
    expect(picks(3, named('a'))).toEqual(['c', 'c', 'c']);
  });

  it('with a single replica, has no other to retry on', () => {
    const { set, named, picks } = replicaSet(['a']);
    expect(picks(2)).toEqual(['a', 'a']);
    expect(set.pick(named('a'))).toBeNull();
    set.failed(named('a'));
    expect(picks(2)).toEqual(['a', 'a']); // still tried when it is out
    expect(set.pick(named('a'))).toBeNull();
  });

  it('when every replica is out, still gives one: the least recently failed, other than the one tried', () => {
    const { set, named, tick, picks } = replicaSet(['a', 'b', 'c']);
    set.failed(named('b'));
    tick();
    set.failed(named('a'));
    tick();
    set.failed(named('c'));
    expect(set.inRotation).toBe(0);
    expect(picks(2)).toEqual(['b', 'b']);
    expect(set.pick(named('b'))?.target).toBe('a');
    tick();
    set.failed(named('b')); // tried again, failed again
    expect(picks(1)).toEqual(['a']);
    expect(set.inRotation).toBe(0);
  });

  it('probes a replica out of rotation in the background until it answers, then takes it again', async () => {
    const { set, named, probed, ready, changes, picks } = replicaSet(['a', 'b']);
    set.failed(named('a'));
    expect(probed).toEqual([]); // nothing waits on a probe
    await vi.advanceTimersByTimeAsync(500);
    expect(probed).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probed).toEqual(['a', 'a', 'a']);
    expect(set.inRotation).toBe(1);
    ready.a = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(set.inRotation).toBe(2);
    expect(changes).toEqual(['a out (1)', 'a in (2)']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probed).toHaveLength(4); // no probing while in rotation
    expect(picks(4).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('counts a failed probe (a throw included) as not answering', async () => {
    const set = new ReplicaSet(['a'], { probe: () => Promise.reject(new Error('boom')), probeIntervalMs: { min: 10, max: 10 } });
    set.failed(set.replicas[0]!);
    await vi.advanceTimersByTimeAsync(100);
    expect(set.inRotation).toBe(0);
    set.stop();
  });

  it('probes one replica once at a time, however often it fails meanwhile', async () => {
    const { set, named, probed } = replicaSet(['a', 'b']);
    set.failed(named('a'));
    set.failed(named('a'));
    set.failed(named('a'));
    expect(named('a').failures).toBe(3);
    await vi.advanceTimersByTimeAsync(500);
    expect(probed).toEqual(['a']);
    expect(set.inRotation).toBe(1);
  });

  it('takes a replica back when a fetch sent to it after its last failure succeeds, not one sent before', () => {
    const { set, named, changes } = replicaSet(['a', 'b']);
    const a = named('a');
    const before = a.failures;
    set.failed(a);
    set.succeeded(a, before); // was in flight when it failed (a draining replica finishing its work)
    expect(a.inRotation).toBe(false);
    const after = a.failures;
    set.succeeded(a, after);
    expect(a.inRotation).toBe(true);
    expect(set.inRotation).toBe(2);
    set.succeeded(a, after); // already in: nothing changes
    expect(changes).toEqual(['a out (1)', 'a in (2)']);
  });

  it('does not trust a probe that answered while a fetch to the replica failed', async () => {
    let answer: (ready: boolean) => void = () => undefined;
    const set = new ReplicaSet(['a', 'b'], {
      probe: () => new Promise<boolean>((resolve) => (answer = resolve)),
      probeIntervalMs: { min: 10, max: 10 },
    });
    const a = set.replicas[0]!;
    set.failed(a);
    await vi.advanceTimersByTimeAsync(10); // the probe is out
    set.failed(a);
    answer(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.inRotation).toBe(false);
    await vi.advanceTimersByTimeAsync(10); // probed again
    answer(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.inRotation).toBe(true);
    set.stop();
  });

  it('stops probing when stopped, a probe in flight included', async () => {
    let answer: (ready: boolean) => void = () => undefined;
    let probes = 0;
    const set = new ReplicaSet(['a', 'b'], {
      probe: () => {
        probes += 1;
        return new Promise<boolean>((resolve) => (answer = resolve));
      },
      probeIntervalMs: { min: 10, max: 10 },
    });
    set.failed(set.replicas[0]!);
    set.failed(set.replicas[1]!);
    await vi.advanceTimersByTimeAsync(10);
    expect(probes).toBe(2);
    set.stop();
    answer(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toBe(2);
    expect(set.inRotation).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    set.failed(set.replicas[0]!); // after stop: no probe scheduled
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits a random time within the interval between probes', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let probes = 0;
    const set = new ReplicaSet(['a'], {
      probe: () => {
        probes += 1;
        return Promise.resolve(false);
      },
    });
    set.failed(set.replicas[0]!);
    await vi.advanceTimersByTimeAsync(749);
    expect(probes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toBe(1); // the default interval is 500–1000 ms
    set.stop();
    random.mockRestore();
  });
});

describe('ReplicaSet with circuit breakers', () => {
  const TRANSPORT = { leavesRotation: false, countsForBreaker: true };

  it('gives no fetch to a replica whose breaker is open, in rotation or not', () => {
    const { set, named, picks, changes } = replicaSet(['a', 'b'], {}, { failures: 2, openMs: 1_000 });
    set.failed(named('a'), TRANSPORT);
    expect(picks(2)).toEqual(['a', 'b']);
    set.failed(named('a'), TRANSPORT); // second in a row: open, though still in rotation
    expect(named('a').inRotation).toBe(true);
    expect(picks(3)).toEqual(['b', 'b', 'b']);
    expect(set.pick(named('b'))).toBeNull(); // no other replica admits fetches: no retry
    expect(changes).toEqual(['a breaker open']);
  });

  it('when every replica is out of rotation, falls back only to those whose breaker is not open; none left, gives none', () => {
    const { set, named, tick, picks } = replicaSet(['a', 'b'], {}, { failures: 2, openMs: 1_000 });
    set.failed(named('a'));
    tick();
    set.failed(named('b'));
    expect(picks(1)).toEqual(['a']); // the least recently failed, as without breakers
    set.failed(named('a')); // a's breaker opens
    expect(picks(2)).toEqual(['b', 'b']);
    set.failed(named('b'));
    expect(set.pick()).toBeNull();
    expect([named('a').breaker.state, named('b').breaker.state]).toEqual([BreakerState.open, BreakerState.open]);
  });

  it('after the open time, lets one probe fetch through (in rotation or not); its success closes the breaker and brings the replica back', () => {
    const { set, named, tick, picks, changes } = replicaSet(['a'], {}, { failures: 1, openMs: 1_000 });
    const a = named('a');
    set.failed(a);
    expect(set.pick()).toBeNull();
    tick(1_000);
    expect(set.pick()).toBe(a); // the probe
    expect(picks(2)).toEqual([null, null]); // one at a time
    set.succeeded(a, a.failures);
    expect(a.breaker.state).toBe(BreakerState.closed);
    expect(a.inRotation).toBe(true);
    expect(picks(2)).toEqual(['a', 'a']);
    expect(changes).toEqual(['a breaker open', 'a out (0)', 'a breaker half-open', 'a breaker closed', 'a in (1)']);
  });

  it('a failed probe opens the breaker again; an abandoned one lets the next fetch probe', () => {
    const { set, named, tick } = replicaSet(['a', 'b'], {}, { failures: 1, openMs: 1_000 });
    const a = named('a');
    set.failed(a, TRANSPORT);
    tick(1_000);
    expect(set.pick()).toBe(a);
    set.abandoned(a);
    expect(set.pick()).toBe(b(set));
    expect(set.pick()).toBe(a);
    set.failed(a, TRANSPORT);
    expect(a.breaker.state).toBe(BreakerState.open);
    tick(999);
    expect(set.pick(b(set))).toBeNull();
  });

  function b(set: ReplicaSet<string>): Replica<string> {
    return set.replicas[1]!;
  }
});
