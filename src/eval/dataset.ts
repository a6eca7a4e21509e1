/**
 * Evaluation sets: SQuAD v2 JSON (each `data[]` entry becomes an article: title plus its
 * paragraphs joined by blank lines) or our own JSONL lines
 * `{question, answers[], asOf?, history?, dates?, articleIds?}` asked of an articles folder
 * (the `articles/` folder next to the file, else SEEDS_DIR), with optional gold data in a
 * `gold.json` next to it (see `EvalGold`).
 */
import { AppError } from '../errors.js';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadCorpus } from '../corpus/load.js';
import { makeArticle, type Article } from '../corpus/article.js';
import type { Turn } from '../answering/rewrite.js';
import { z } from 'zod';

export interface EvalQuestion {
  id: string;
  question: string;
  /** Gold answer strings; empty for a question the articles cannot answer. */
  answers: string[];
  impossible: boolean;
  articleIds?: string[];
  /** The reference date a time question is asked on (ISO date). */
  asOf?: string;
  /** The conversation before a follow-up. */
  history?: Turn[];
  /** Article dates (YYYY-MM-DD) the answer must come from: gold for time questions. */
  dates?: string[];
}

/** Gold data about the articles themselves, for the news metrics. */
export interface EvalGold {
  /** Whole lines (trimmed) that are page furniture; a quote overlapping one is a boilerplate quote. */
  boilerplate: string[];
  /** Groups of article urls that are copies of one story. */
  stories: string[][];
}

export interface EvalSet {
  name: string;
  /** Articles to index; empty for a JSONL set, which is asked of SEEDS_DIR. */
  articles: Article[];
  questions: EvalQuestion[];
  gold?: EvalGold;
}

interface Squad {
  data: { title: string; paragraphs: { context: string; qas: { id: string; question: string; is_impossible?: boolean; answers: { text: string }[] }[] }[] }[];
}

export function fromSquad(squad: Squad, name = 'squad'): EvalSet {
  const articles: Article[] = [];
  const questions: EvalQuestion[] = [];
  for (const entry of squad.data) {
    const title = entry.title.replace(/_/g, ' ');
    const article = makeArticle({ title, text: entry.paragraphs.map((p) => p.context.trim()).join('\n\n') }, `${name}/${entry.title}`);
    articles.push(article);
    for (const p of entry.paragraphs) {
      for (const qa of p.qas) {
        const impossible = !!qa.is_impossible;
        questions.push({
          id: qa.id,
          question: qa.question,
          answers: impossible ? [] : [...new Set(qa.answers.map((a) => a.text))],
          impossible,
          articleIds: [article.id],
        });
      }
    }
  }
  return { name, articles, questions };
}

const jsonlLine = z.object({
  id: z.string().optional(),
  question: z.string().min(1),
  answers: z.array(z.string()).default([]),
  articleIds: z.array(z.string()).optional(),
  asOf: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}/)
    .optional(),
  history: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })).optional(),
  dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
});

export function fromJsonl(content: string, name = 'jsonl'): EvalSet {
  const questions = content
    .split(/\r?\n/)
    .map((line, i) => [line, i] as const)
    .filter(([l]) => l.trim())
    .map(([line, i]) => {
      const parsed = jsonlLine.safeParse(JSON.parse(line));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError('bad_request', `eval: line ${i + 1}: ${issue.path.join('.') || 'record'}: ${issue.message}`);
      }
      const r = parsed.data;
      return { ...r, id: r.id ?? String(i + 1), impossible: r.answers.length === 0 };
    });
  return { name, articles: [], questions };
}

export const goldSchema = z.object({
  boilerplate: z.array(z.string()).default([]),
  stories: z.array(z.array(z.string())).default([]),
});

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Reads a SQuAD v2 `.json` or a `.jsonl` question file. A JSONL set is asked of `articlesDir`,
 * else of the `articles/` folder next to it when there is one (else `articles` stays empty and
 * the caller asks SEEDS_DIR); a `gold.json` next to it is read as its `EvalGold`.
 * @example await loadEvalSet('eval/news/questions.jsonl') // { articles: 45 news articles, questions: 126, gold }
 */
export async function loadEvalSet(path: string, articlesDir?: string): Promise<EvalSet> {
  const content = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'EISDIR') {
      throw new AppError(
        'bad_request',
        `eval: there is no question file ${path}; give a SQuAD v2 .json or a .jsonl file of questions (without one, npm run eval reads eval/squad/squad-v2-small.json from the repository)`,
      );
    }
    throw e;
  });
  const name = path.split(/[\\/]/).pop()!;
  if (!path.endsWith('.jsonl')) return fromSquad(JSON.parse(content), name);
  const set = fromJsonl(content, name);
  const dir = articlesDir ?? join(dirname(path), 'articles');
  if (articlesDir || (await exists(dir))) {
    const loaded = await loadCorpus(dir);
    if (loaded.skipped.length) throw new AppError('bad_request', `eval: ${loaded.skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`);
    set.articles = loaded.articles;
  }
  const goldFile = join(dirname(path), 'gold.json');
  if (await exists(goldFile)) set.gold = goldSchema.parse(JSON.parse(await readFile(goldFile, 'utf8')));
  return set;
}
