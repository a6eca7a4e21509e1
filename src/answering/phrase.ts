/**
 * The "phrase" stage: the answer as the reader gets it. From the chosen sentences: the short
 * answer, then each quote with its number; nothing chosen → NOT_FOUND. With the user's model
 * configured (GENERATOR=openai) the model writes the answer from the passages instead, checked
 * in code (generative.ts), and the extractive answer is its fallback.
 */
import { AppError } from '../errors.js';
import { citation, NOT_FOUND, type Answer, type Quote } from './answer.js';
import type { Candidate } from './evidence.js';
import type { GenerativeAnswerer } from './generative.js';
import { needs, type Question, type Stage } from './question.js';

/** Builds a quote and enforces the rule everything else relies on: it is the article's own text. */
function toQuote(c: Candidate, n: number): Quote {
  const text = c.article.text.slice(c.start, c.end);
  if (text !== c.text || !text) throw new AppError('internal', `answer: quote ${n} is not a verbatim slice of article ${c.article.id}`);
  return { n, text, ...citation(c.article), start: c.start, end: c.end, score: Number(c.score.toFixed(4)) };
}

/** The extractive answer of a question whose choose stage ran. */
export function extractiveAnswer(q: Question): Answer {
  const choice = needs(q, 'choice', 'phrase');
  const base = { query: q.query, evidence: choice.evidence, ...(choice.signals ? { signals: choice.signals } : {}) };
  if (!choice.found) return { answer: NOT_FOUND, found: false, quotes: [], ...base };
  const quotes = choice.chosen.map((c, i) => toQuote(c, i + 1));
  const body = quotes.map((x) => `“${x.text}” [${x.n}]`).join(' ');
  const { short } = choice;
  return { answer: short ? `${short.text}. ${body}` : body, found: true, ...(short ? { short } : {}), quotes, ...base };
}

/** `generative`: the user's model; without it the answer is the extractive one. */
export function createPhrase(deps: { generative?: GenerativeAnswerer } = {}): Stage {
  const { generative } = deps;
  return {
    name: 'phrase',
    async run(q: Question): Promise<Question> {
      const extractive = extractiveAnswer(q);
      if (!generative) return { ...q, answer: extractive };
      if (q.signal?.aborted) throw new AppError('cancelled', 'chat: the request was cancelled');
      const retrieval = needs(q, 'retrieval', 'phrase');
      const answer = await generative.answer({ question: q.text, history: q.history, retrieval, extractive, signal: q.signal, onDelta: q.onDelta });
      return { ...q, answer };
    },
  };
}
