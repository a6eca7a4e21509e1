/**
 * SYNC=true: every half minute (croner, a maintained scheduler with overrun protection), the
 * sources whose interval has passed are synced. The tick is short so that each source keeps its
 * own interval; `protect` skips a tick while the previous round is still running. The first
 * round runs at once.
 */
import { Cron } from 'croner';
import type { Logger } from '../log.js';
import type { Syncer } from './sync.js';

/**
 * Starts the schedule; the returned function stops it.
 * @example const stop = startSchedule(syncer); … stop();
 */
export function startSchedule(syncer: Syncer, opts: { pattern?: string; logger?: Logger } = {}): () => void {
  const job = new Cron(opts.pattern ?? '*/30 * * * * *', { protect: true }, async () => {
    const reports = await syncer.syncDue();
    const added = reports.reduce((n, r) => n + r.added, 0);
    if (added) opts.logger?.info(`sources: ${added} new articles from ${reports.filter((r) => r.added).length} sources`);
  });
  // Sources that are due at start (new ones, or overdue after downtime) do not wait for the first tick.
  void job.trigger();
  return () => job.stop();
}
