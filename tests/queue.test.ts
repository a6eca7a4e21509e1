import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { createQueue } from '../src/queue.js';

/** A job that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    open,
    job:
      <T>(value: T) =>
      async () => {
        await opened;
        return value;
      },
  };
}

describe('createQueue', () => {
  it('runs at most `concurrency` jobs at once and starts waiting ones in order', async () => {
    const q = createQueue({ concurrency: 2, limit: 10 });
    const g = gate();
    const order: number[] = [];
    const runs = [1, 2, 3, 4].map((n) =>
      q.run(async () => {
        order.push(n);
        await g.job(n)();
        return n;
      }),
    );
    await Promise.resolve();
    expect(q.stats()).toMatchObject({ active: 2, waiting: 2 });
    g.open();
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(q.stats()).toMatchObject({ active: 0, waiting: 0, rejected: 0 });
  });

  it('rejects with a 503 unavailable AppError at once when `limit` jobs already wait', async () => {
    const q = createQueue({ concurrency: 1, limit: 1 });
    const g = gate();
    const a = q.run(g.job('a'));
    const b = q.run(g.job('b'));
    const c = q.run(g.job('c'));
    await expect(c).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    await expect(c).rejects.toBeInstanceOf(AppError);
    expect(q.stats()).toMatchObject({ active: 1, waiting: 1, rejected: 1 });
    g.open();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(await q.run(async () => 'after')).toBe('after');
  });

  it('drops a waiting job whose signal aborts, without running it', async () => {
    const q = createQueue({ concurrency: 1, limit: 5 });
    const g = gate();
    const a = q.run(g.job('a'));
    const controller = new AbortController();
    let ran = false;
    const b = q.run(async () => {
      ran = true;
    }, controller.signal);
    expect(q.stats().waiting).toBe(1);
    controller.abort();
    await expect(b).rejects.toMatchObject({ code: 'cancelled' });
    expect(q.stats().waiting).toBe(0);
    g.open();
    await a;
    expect(ran).toBe(false);
  });

  it('keeps going after a job fails, passing the failure to its caller', async () => {
    const q = createQueue({ concurrency: 1, limit: 5 });
    await expect(
      q.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      q.run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(await q.run(async () => 42)).toBe(42);
    expect(q.stats()).toMatchObject({ active: 0, waiting: 0 });
  });

  it.each([
    [{ concurrency: 0, limit: 5 }, /concurrency must be a whole number of at least 1/],
    [{ concurrency: 1.5, limit: 5 }, /concurrency/],
    [{ concurrency: Number.NaN, limit: 5 }, /concurrency/],
    [{ concurrency: 1, limit: -1 }, /limit must be a whole number of 0 or more/],
  ])('refuses %j at once instead of hanging later', (options, message) => {
    expect(() => createQueue(options)).toThrow(message);
    expect(() => createQueue(options)).toThrow(expect.objectContaining({ code: 'bad_config' }));
  });
});
