/**
 * A bounded work queue: at most `concurrency` jobs run at once and at most `limit` wait; past
 * that `run` rejects at once with a 503, so overload costs a quick answer instead of memory.
 *
 * Written here rather than taken from p-limit/p-queue because neither bounds the waiting list
 * (p-limit queues without end; p-queue's size has to be checked by each caller, racily), and
 * we want cancelled waiters dropped from the line: together that is ~60 lines.
 *
 * @example
 *   const queue = createQueue({ concurrency: 2, limit: 64 });
 *   const answer = await queue.run(() => archive.ask({ question }), signal);
 *   queue.stats(); // { active: 0, waiting: 0, concurrency: 2, limit: 64, rejected: 0 }
 */
import { AppError } from './errors.js';

export interface QueueStats {
  active: number;
  waiting: number;
  concurrency: number;
  limit: number;
  /** Jobs turned away because the queue was full, since start. */
  rejected: number;
}

export interface Queue {
  /** Runs `job` when a slot is free; rejects with `unavailable` when the queue is full or `signal` aborts first. */
  run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): QueueStats;
}

/**
 * A queue running at most `concurrency` jobs with at most `limit` waiting.
 * @throws AppError('bad_config') at once for a concurrency below 1 (it would never run a job) or
 * a negative or fractional limit, as p-limit rejects a bad concurrency when it is created.
 */
export function createQueue(options: { concurrency: number; limit: number }): Queue {
  const { concurrency, limit } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new AppError('bad_config', `queue: concurrency must be a whole number of at least 1 (got ${concurrency}); set QUEUE_CONCURRENCY`);
  }
  if (!Number.isInteger(limit) || limit < 0) {
    throw new AppError('bad_config', `queue: limit must be a whole number of 0 or more (got ${limit}); set QUEUE_LIMIT`);
  }
  let active = 0;
  let rejected = 0;
  const waiting: (() => void)[] = [];

  const next = () => {
    if (active < concurrency) waiting.shift()?.();
  };

  return {
    run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(new AppError('cancelled', 'queue: the request was cancelled'));
      if (active >= concurrency && waiting.length >= limit) {
        rejected++;
        return Promise.reject(new AppError('unavailable', `queue: the server is busy (${active} running, ${waiting.length} waiting); try again shortly`));
      }
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          signal?.removeEventListener('abort', onAbort);
          active++;
          // The slot is given back before the caller resumes, so stats() is exact when it looks.
          const done = () => {
            active--;
            next();
          };
          Promise.resolve()
            .then(job)
            .then(
              (value) => (done(), resolve(value)),
              (err: unknown) => (done(), reject(err)),
            );
        };
        // A request that gives up (client gone, time limit) leaves the line instead of running for nobody.
        const onAbort = () => {
          const i = waiting.indexOf(start);
          if (i >= 0) waiting.splice(i, 1);
          reject(new AppError('cancelled', 'queue: the request was cancelled while waiting'));
        };
        if (active < concurrency) start();
        else {
          signal?.addEventListener('abort', onAbort, { once: true });
          waiting.push(start);
        }
      });
    },
    stats: () => ({ active, waiting: waiting.length, concurrency, limit, rejected }),
  };
}
