import { describe, expect, it, vi } from 'vitest';
import { Closers } from './closers';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('Closers', () => {
  it('closes in reverse order, awaiting each before the next', async () => {
    const closed: string[] = [];
    const closers = new Closers();
    closers.add('db', () => closed.push('db'));
    closers.add('redis', async () => {
      await tick();
      closed.push('redis');
    });
    closers.add('http', async () => {
      await tick();
      closed.push('http');
    });
    await closers.closeAll();
    expect(closed).toEqual(['http', 'redis', 'db']);
  });

  it('goes on past a failing closer, logs it by name and rejects with it', async () => {
    const closed: string[] = [];
    const log = { error: vi.fn() };
    const closers = new Closers(log);
    const failure = new Error('redis is gone');
    closers.add('db', () => closed.push('db'));
    closers.add('redis', () => {
      throw failure;
    });
    closers.add('http', () => closed.push('http'));
    await expect(closers.closeAll()).rejects.toBe(failure);
    expect(closed).toEqual(['http', 'db']);
    expect(log.error).toHaveBeenCalledWith({ err: failure, closer: 'redis' }, 'closing redis failed');
  });

  it('names every failure when several fail', async () => {
    const closers = new Closers();
    closers.add('db', () => Promise.reject(new Error('db')));
    closers.add('bus', () => Promise.reject(new Error('bus')));
    const error = await closers.closeAll().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).message).toBe('closing failed: bus, db');
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['bus', 'db']);
  });

  it('runs once: a second closeAll closes nothing again and answers as the first', async () => {
    const close = vi.fn(async () => tick());
    const closers = new Closers();
    closers.add('http', close);
    const first = closers.closeAll();
    const second = closers.closeAll();
    await Promise.all([first, second]);
    await closers.closeAll();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('closes nothing when nothing was opened', async () => {
    await expect(new Closers().closeAll()).resolves.toBeUndefined();
  });
});
