/**
 * `npm run eval -- --feedback [file]`: the archive's own test set, made of its users' judgments.
 * Every judged question (the lines `GET /api/feedback?format=jsonl` exports, or the store's judged
 * answers when no file is given) is asked again, with its history and its `asOf`, of the current
 * archive and code:
 *   - an "up" answer holds when the new answer still quotes the same passage (a quote in the same
 *     article overlapping one of the judged quotes; a judged refusal holds when it still refuses);
 *     otherwise it is a regression;
 *   - a "down" answer with a correction is fixed when a quote of the new answer contains the
 *     correction (case and spacing aside).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createArchive, type Archive, type AskResult } from '../archive.js';
import { archiveOptions, bootArchive, modelAnswerer, openStore } from '../boot.js';
import type { Config } from '../config.js';
import { loadCorpus } from '../corpus/load.js';
import { createEmbedder } from '../embed.js';
import { ingest } from '../ingest/ingest.js';
import type { Logger } from '../log.js';
import { feedbackLineSchema, type FeedbackLine } from '../answers/record.js';
import { AppError } from '../errors.js';

type Line = Pick<FeedbackLine, 'answerId' | 'question' | 'history' | 'quotes' | 'rating' | 'correction'> & {
  asOf?: string | null;
  filter?: FeedbackLine['filter'];
};

export interface FeedbackReport {
  judged: number;
  up: { total: number; held: number; regressions: string[] };
  down: { total: number; withCorrection: number; fixed: number; stillWrong: string[] };
}

/** Reads a JSONL file of judged answers. @throws AppError('bad_request') naming the line at fault. */
export async function readFeedbackFile(file: string): Promise<Line[]> {
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw new AppError('bad_request', `eval: cannot read the feedback file ${file} (${(e as { code?: string }).code ?? 'error'})`);
  });
  return text.split('\n').flatMap((raw, i) => {
    if (!raw.trim()) return [];
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new AppError('bad_request', `eval: ${file} line ${i + 1} is not JSON`);
    }
    const r = feedbackLineSchema.safeParse(json);
    if (!r.success)
      throw new AppError('bad_request', `eval: ${file} line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    return [r.data];
  });
}

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

/** True when the new answer quotes a passage overlapping one of the judged quotes. */
export function quotesSamePassage(judged: Line['quotes'], now: AskResult): boolean {
  if (!judged.length) return !now.found;
  return now.quotes.some((q) => judged.some((o) => o.articleId === q.articleId && q.start < o.end && o.start < q.end));
}

/**
 * True when a quote of the new answer contains the correction. The quote, not the whole chunk it
 * was cut from: a chunk holds several sentences, and one that merely sits beside the quote does
 * not answer the question for the reader.
 */
export function quotesCorrection(correction: string, now: AskResult): boolean {
  const want = norm(correction);
  return now.quotes.some((q) => norm(q.text).includes(want));
}

/** Asks every judged question again; `onLine` hears each result (for progress). */
export async function evaluateFeedback(
  archive: Pick<Archive, 'ask'>,
  lines: Line[],
  onLine?: (line: Line, ok: boolean | null) => void,
): Promise<FeedbackReport> {
  const report: FeedbackReport = {
    judged: lines.length,
    up: { total: 0, held: 0, regressions: [] },
    down: { total: 0, withCorrection: 0, fixed: 0, stillWrong: [] },
  };
  for (const line of lines) {
    const now = await archive.ask({
      question: line.question,
      history: line.history,
      ...(line.asOf ? { asOf: line.asOf.slice(0, 10) } : {}),
      ...(line.filter ? { filter: line.filter } : {}),
    });
    let ok: boolean | null = null;
    if (line.rating === 'up') {
      report.up.total++;
      ok = quotesSamePassage(line.quotes, now);
      if (ok) report.up.held++;
      else report.up.regressions.push(line.answerId);
    } else {
      report.down.total++;
      if (line.correction) {
        report.down.withCorrection++;
        ok = quotesCorrection(line.correction, now);
        if (ok) report.down.fixed++;
        else report.down.stillWrong.push(line.answerId);
      }
    }
    onLine?.(line, ok);
  }
  return report;
}

/** The report as the CLI prints it. */
export function describeFeedback(r: FeedbackReport): string {
  const share = (a: number, b: number) => (b ? ` (${((a / b) * 100).toFixed(0)}%)` : '');
  return [
    `judged answers asked again: ${r.judged}`,
    `up:   ${r.up.held} of ${r.up.total} still quote the same passage${share(r.up.held, r.up.total)}; regressions: ${r.up.regressions.length ? r.up.regressions.join(', ') : 'none'}`,
    `down: ${r.down.fixed} of ${r.down.withCorrection} with a correction now quote a passage that contains it${share(r.down.fixed, r.down.withCorrection)}; still wrong: ${r.down.stillWrong.length ? r.down.stillWrong.join(', ') : 'none'}` +
      (r.down.total > r.down.withCorrection ? `; ${r.down.total - r.down.withCorrection} without a correction` : ''),
  ].join('\n');
}

/**
 * `npm run eval -- --feedback [file] [--articles dir] [--json out.json]`. With a file, its lines
 * are asked of `--articles`, else of the `articles/` folder next to it (indexed afresh in a
 * temporary folder), else of the configured archive; without one, the configured archive's own
 * judged answers are asked of it.
 */
export async function runFeedbackCli(config: Config, args: string[], log: Logger): Promise<FeedbackReport> {
  let file: string | undefined;
  let articles: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--feedback') {
      if (args[i + 1] !== undefined && !args[i + 1].startsWith('--')) file = args[++i];
    } else if (a === '--articles') articles = args[++i];
    else if (a === '--json') json = args[++i];
    else throw new AppError('bad_request', `eval: with --feedback the options are [file] --articles and --json, not ${a}`);
  }
  if (file && !articles && existsSync(join(dirname(file), 'articles'))) articles = join(dirname(file), 'articles');
  const dir = articles ? await mkdtemp(join(tmpdir(), 'archivist-eval-')) : undefined;
  let archive: Archive & { store: { close(): Promise<void> } };
  if (articles && dir) {
    const embedder = await createEmbedder(config);
    const store = await openStore({ ...config, indexDir: dir, store: 'local' }, log);
    const corpus = await loadCorpus(articles);
    await ingest({ store, embedder, chunking: { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap }, articles: corpus.articles, force: true });
    archive = { ...createArchive({ store, embedder, options: archiveOptions(config), generative: modelAnswerer(config, log) }), store };
  } else {
    archive = await bootArchive(config, log);
  }
  try {
    const lines = file ? await readFeedbackFile(file) : await archive.answers.feedbackLines();
    log.info(`eval: ${lines.length} judged answers from ${file ?? 'the archive'}, asked of ${articles ?? 'the archive'}`);
    const report = await evaluateFeedback(archive, lines);
    console.log(`\n${describeFeedback(report)}`);
    if (json) await writeFile(json, JSON.stringify(report, null, 2));
    return report;
  } finally {
    await archive.store.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
