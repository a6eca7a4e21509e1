/**
 * `npm run check [-- --repair]`: the full check of a local index that a start no longer does.
 * It runs SQLite's integrity_check over the article log, re-checks every record's checksum,
 * checks each snapshot (its hashes, and its tables against the log at its sequence) and checks
 * the log ends at or after what was committed (articles.seq, the snapshots). It says what it
 * found; `--repair` repairs what can be rebuilt: REINDEX for damaged indexes, damaged or lost
 * records restored from the newest snapshot that holds them (its tables and graph keep every
 * article's text, chunks and vectors), derived snapshots that disagree set aside (renamed, never
 * deleted), and, only when asked, a log that lost its last commits accepted as it is.
 * Nothing acknowledged is dropped silently: every article that cannot be restored is named.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeMark } from './committed.js';
import { inspectFolder } from './folder.js';
import { committedEvidence } from './local.js';
import { ArticleLog, LOG_FILE } from './log.js';
import type { MemoryRow } from './memory.js';
import { readSnapshot, snapshotFolders, SnapshotRefused, type LoadedSnapshot } from './snapshot.js';
import type { ArticleRecord } from './types.js';

export interface Finding {
  kind: 'log-ends-early' | 'integrity' | 'record' | 'snapshot';
  message: string;
  /** What --repair did about it, when it did something. */
  repaired?: string;
}

export interface CheckReport {
  /** True when nothing is (still) wrong. */
  ok: boolean;
  articles: number;
  lastSeq: number;
  findings: Finding[];
}

/** An article of a snapshot as a record to write back to the log: vectors come from its graph. */
function fromSnapshot(snap: LoadedSnapshot, row: MemoryRow): ArticleRecord | undefined {
  if (!snap.hnsw) return undefined;
  try {
    return {
      article: row.article,
      chunks: row.chunks.map(({ label: _l, ...c }) => c),
      vectors: row.chunks.map((c) => Float32Array.from(snap.hnsw!.getPoint(c.label))),
    };
  } catch {
    return undefined;
  }
}

export async function checkStore(dir: string, opts: { repair?: boolean } = {}): Promise<CheckReport> {
  const findings: Finding[] = [];
  const state = await inspectFolder(dir);
  const peek = state.kind === 'current' ? ArticleLog.peek(join(dir, LOG_FILE)) : undefined;
  if (!peek) return { ok: true, articles: 0, lastSeq: 0, findings: [] };
  const ev = peek.logId ? await committedEvidence(dir, peek.logId) : { seq: 0, where: [], snapshots: [] };
  const short = peek.lastSeq < ev.seq;
  if (short && !opts.repair) {
    // Opening the log read-write would checkpoint what is left of a damaged WAL: stop here.
    findings.push({
      kind: 'log-ends-early',
      message: `the article log ends at change ${peek.lastSeq}, but changes up to ${ev.seq} were committed (${ev.where.join(', ')}): ${ev.seq - peek.lastSeq} changes are missing. Restore INDEX_DIR from a copy that holds change ${ev.seq}, or run \`npm run check -- --repair\` to accept the loss (articles the newest snapshot holds are restored from it first)`,
    });
    return { ok: false, articles: 0, lastSeq: peek.lastSeq, findings };
  }

  let log = new ArticleLog(join(dir, LOG_FILE));
  try {
    const settings = log.settings();
    // The newest snapshot that reads back whole: the copy records are restored from.
    let newest: LoadedSnapshot | undefined;
    for (const snap of await snapshotFolders(dir)) {
      try {
        const loaded = settings ? await readSnapshot(join(dir, snap.name), { dims: settings.dims, logId: log.logId() }) : undefined;
        if (loaded && !newest) newest = loaded;
      } catch (e) {
        // Of an older format or another log: passed over at start, not damage.
        if (e instanceof SnapshotRefused && e.kind === 'other') continue;
        const f: Finding = { kind: 'snapshot', message: `the index snapshot ${snap.name} is not usable (${(e as Error).message})` };
        if (opts.repair) {
          const aside = `${snap.name}.damaged-${Date.now()}`;
          await rename(join(dir, snap.name), join(dir, aside));
          f.repaired = `set aside as ${aside}; the next start rebuilds the indexes from the log`;
        }
        findings.push(f);
      }
    }

    if (short) {
      const f: Finding = {
        kind: 'log-ends-early',
        message: `the article log ends at change ${peek.lastSeq}, but changes up to ${ev.seq} were committed (${ev.where.join(', ')}): ${ev.seq - peek.lastSeq} changes are missing`,
      };
      const done: string[] = [];
      if (newest && newest.seq > peek.lastSeq) {
        // The snapshot is the newer state: write back every article it holds that the log lost
        // or holds in an older version, and remove what it says was removed.
        const put: ArticleRecord[] = [];
        const lost: string[] = [];
        const inSnap = new Set(newest.rows.map((r) => r.article.id));
        for (const row of newest.rows) {
          const have = log.read(row.article.id);
          if (have && have.article.hash === row.article.hash && have.chunks.length === row.chunks.length) continue;
          const rec = fromSnapshot(newest, row);
          if (rec) put.push(rec);
          else lost.push(row.article.id);
        }
        const remove = log
          .readAll()
          .records.map((r) => r.article.id)
          .filter((id) => !inSnap.has(id));
        if (put.length || remove.length) await log.write({ put, remove });
        done.push(`restored ${put.length} articles from ${newest.name} and removed ${remove.length} it had removed`);
        if (lost.length)
          done.push(`${lost.length} articles could not be restored (${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', …' : ''}): add them again`);
      }
      const last = log.lastSeq();
      for (const snap of await snapshotFolders(dir)) {
        if (snap.seq <= last) continue;
        const aside = `${snap.name}.damaged-${Date.now()}`;
        await rename(join(dir, snap.name), join(dir, aside));
        done.push(`${snap.name} set aside as ${aside} (it covers changes the log no longer has)`);
      }
      await writeMark(dir, { logId: log.logId(), seq: last });
      done.push(`the loss of changes ${peek.lastSeq + 1}–${ev.seq} is accepted: articles.seq now says ${last}`);
      f.repaired = done.join('; ');
      findings.push(f);
      if (newest && newest.seq > peek.lastSeq) newest = undefined; // set aside above
    }

    let problems = log.integrityProblems();
    if (problems.length) {
      const f: Finding = {
        kind: 'integrity',
        message: `SQLite integrity_check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
      };
      if (opts.repair) {
        if (log.reindex()) problems = log.integrityProblems();
        if (problems.length) {
          // Too damaged to rebuild in place: copy the tables into a new file (indexes built
          // afresh) and keep the damaged file beside it.
          const stamp = Date.now();
          const copy = join(dir, `${LOG_FILE}.copy-${stamp}`);
          if (log.copyInto(copy)) {
            log.close();
            for (const ext of ['', '-wal', '-shm'])
              await rename(join(dir, LOG_FILE + ext), join(dir, `${LOG_FILE}.damaged-${stamp}${ext}`)).catch(() => undefined);
            await rename(copy, join(dir, LOG_FILE));
            log = new ArticleLog(join(dir, LOG_FILE));
            problems = log.integrityProblems();
          } else await rm(copy, { force: true });
        }
        f.repaired = problems.length
          ? `REINDEX rebuilt the indexes, but the tables themselves are damaged (${problems.slice(0, 3).join('; ')}): restore articles.db from a copy${newest ? `; ${newest.name} holds ${newest.rows.length} articles as of change ${newest.seq}` : ''}`
          : `the damaged indexes were rebuilt from the tables (REINDEX, or a copy of the tables when that failed; the damaged file is kept as ${LOG_FILE}.damaged-<time>); integrity_check is ok`;
      }
      findings.push(f);
    }

    const all = log.readAll();
    const changed = newest ? new Set(log.changesAfter(newest.seq).map((c) => c.articleId)) : new Set<string | null>();
    const snapRows = new Map(newest?.rows.map((r) => [r.article.id, r]) ?? []);
    const restore: ArticleRecord[] = [];
    for (const d of all.damaged) {
      const f: Finding = { kind: 'record', message: `article log record ${d.row} (article ${d.articleId}) fails its checksum` };
      if (opts.repair) {
        const row = snapRows.get(d.articleId);
        const rec = row && !changed.has(d.articleId) ? fromSnapshot(newest!, row) : undefined;
        if (rec) restore.push(rec);
        f.repaired = rec ? `restored from ${newest!.name}` : 'not restorable from a snapshot (none holds its current version): add the article again';
      }
      findings.push(f);
    }
    if (restore.length) await log.write({ put: restore, remove: [] });

    // The snapshot's tables against the log, for articles the log has not changed since.
    if (newest) {
      const logIds = new Set(all.records.map((r) => r.article.id));
      let disagree = 0;
      for (const rec of all.records) {
        if (changed.has(rec.article.id)) continue;
        const row = snapRows.get(rec.article.id);
        if (!row || row.chunks.length !== rec.chunks.length || row.chunks.some((c, i) => c.label !== rec.chunks[i].label)) disagree++;
      }
      for (const id of snapRows.keys()) if (!logIds.has(id) && !changed.has(id) && !all.damaged.some((d) => d.articleId === id)) disagree++;
      if (disagree) {
        const f: Finding = { kind: 'snapshot', message: `the index snapshot ${newest.name} disagrees with the article log on ${disagree} articles` };
        if (opts.repair) {
          const aside = `${newest.name}.damaged-${Date.now()}`;
          await rename(join(dir, newest.name), join(dir, aside));
          f.repaired = `set aside as ${aside}; the next start rebuilds the indexes from the log`;
        }
        findings.push(f);
      }
    }
    const articles = log.readAll().records.length;
    const ok = findings.every((f) => !!f.repaired && !/could not|not restorable|damaged \(|restore articles\.db/.test(f.repaired));
    return { ok, articles, lastSeq: log.lastSeq(), findings };
  } finally {
    log.close();
  }
}
