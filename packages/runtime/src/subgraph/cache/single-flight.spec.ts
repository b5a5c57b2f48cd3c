import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('makes concurrent misses one fetch: a key in flight is shared, new keys join the batch', async () => {
    const flight = new SingleFlight<string>();
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetch = async (ids: string[]) => {
      calls.push(ids);
      await gate;
      return new Map(ids.map((id) => [id, `row-${id}`]));
    };
    const first = flight.load(['a'], fetch);
    const second = flight.load(['a', 'b'], fetch);
    const third = flight.load(['a'], fetch);
    release();
    expect(await first).toEqual(new Map([['a', 'row-a']]));
    expect(await second).toEqual(
      new Map([
        ['a', 'row-a'],
        ['b', 'row-b'],
      ]),
    );
    expect(await third).toEqual(new Map([['a', 'row-a']]));
    expect(calls).toEqual([['a', 'b']]);
  });

  it('fetches keys asked for after a batch left in the next batch', async () => {
    const flight = new SingleFlight<string>(1);
    const calls: string[][] = [];
    const fetch = async (ids: string[]) => {
      calls.push(ids);
      return new Map(ids.map((id) => [id, id.toUpperCase()]));
    };
    expect(await flight.load(['a'], fetch)).toEqual(new Map([['a', 'A']]));
    expect(await flight.load(['a', 'b'], fetch)).toEqual(
      new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
    expect(calls).toEqual([['a'], ['a', 'b']]);
  });

  it('forgets a key once its fetch has settled, also after a failure', async () => {
    const flight = new SingleFlight<string>();
    await expect(flight.load(['a'], async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await flight.load(['a'], async (ids) => new Map(ids.map((id) => [id, 'ok'])))).toEqual(new Map([['a', 'ok']]));
  });
});
