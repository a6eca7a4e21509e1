/**
 * The committed-sequence mark: a small file beside the article log (`articles.seq`) saying "this
 * log had committed change N". It is written after commits, off the acknowledgement path, at
 * most once per MARK_EVERY_MS (so a write costs no extra fsync), temp + fsync + rename: it may
 * lag behind the log, but what it says was committed. SQLite's WAL recovery stops at the first
 * damaged frame and silently drops every later commit; a log that ends before the mark (or before
 * a snapshot's sequence) has lost acknowledged writes, and the store refuses to open it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './folder.js';

export const MARK_FILE = 'articles.seq';
const MARK_EVERY_MS = 1000;

export interface Mark {
  logId: string;
  seq: number;
}

export async function readMark(dir: string): Promise<Mark | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, MARK_FILE), 'utf8')) as Partial<Mark>;
    return typeof m.logId === 'string' && Number.isInteger(m.seq) ? { logId: m.logId, seq: m.seq! } : undefined;
  } catch {
    return undefined;
  }
}

export function writeMark(dir: string, mark: Mark): Promise<void> {
  return writeFileDurably(join(dir, MARK_FILE), `${JSON.stringify({ format: 1, ...mark })}\n`);
}

/**
 * Keeps the mark up to date with what this process committed: `committed(seq)` after each
 * commit; one write in flight at a time, the latest sequence wins. `flush` writes what is due now.
 */
export function markWriter(dir: string, logId: string, report: (line: string) => void) {
  let want = 0;
  let written = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const write = () => {
    timer = undefined;
    running = running.then(async () => {
      const seq = want;
      if (seq <= written) return;
      // Another process on the folder may have marked a later change: never move the mark back.
      const on = await readMark(dir);
      if (on && on.logId === logId && on.seq >= seq) {
        written = seq;
        return;
      }
      await writeMark(dir, { logId, seq }).then(
        () => void (written = seq),
        (e) => report(`store: ${MARK_FILE} not written (${(e as Error).message}); the article log has every write`),
      );
    });
    return running;
  };
  return {
    committed(seq: number) {
      want = Math.max(want, seq);
      if (!timer) {
        timer = setTimeout(write, MARK_EVERY_MS);
        timer.unref();
      }
    },
    async flush() {
      clearTimeout(timer);
      await write();
    },
  };
}
