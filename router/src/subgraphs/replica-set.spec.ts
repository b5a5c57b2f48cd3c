import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReplicaSet, type Replica } from './replica-set';

/** A set over named targets whose probe answers what `ready` says, on a clock the test moves. */
function replicaSet(names: string[], ready: Record<string, boolean> = {}) {
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
