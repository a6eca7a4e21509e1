/**
 * Evaluation sets: SQuAD v2 JSON (each `data[]` entry becomes an article: title plus its
 * paragraphs joined by blank lines) or our own JSONL `{question, answers[], articleIds?}`
 * lines asked of the current corpus.
 */
import { AppError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { makeArticle, type Article } from '../corpus/article.js';

export interface EvalQuestion {
  id: string;
  question: string;
  /** Gold answer strings; empty for a question the articles cannot answer. */
  answers: string[];
  impossible: boolean;
  articleIds?: string[];
}

export interface EvalSet {
  name: string;
  /** Articles to index; empty for a JSONL set, which is asked of SEEDS_DIR. */
  articles: Article[];
  questions: EvalQuestion[];
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

export function fromJsonl(content: string, name = 'jsonl'): EvalSet {
  const questions = content
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, i) => {
      const r = JSON.parse(line) as { id?: string; question: string; answers?: string[]; articleIds?: string[] };
      if (typeof r.question !== 'string') throw new AppError('bad_request', `eval: line ${i + 1} has no question`);
      const answers = r.answers ?? [];
      return { id: r.id ?? String(i + 1), question: r.question, answers, impossible: answers.length === 0, articleIds: r.articleIds };
    });
  return { name, articles: [], questions };
}

/** Reads a SQuAD v2 `.json` or a `.jsonl` question file. */
export async function loadEvalSet(path: string): Promise<EvalSet> {
  const content = await readFile(path, 'utf8');
  const name = path.split(/[\\/]/).pop()!;
  return path.endsWith('.jsonl') ? fromJsonl(content, name) : fromSquad(JSON.parse(content), name);
}
