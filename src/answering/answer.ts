/**
 * The shape every answer has, whoever built it: the extractive answerer today, a user's model
 * later. Routes, the CLI and the evaluation read only this.
 */
import type { Article } from '../corpus/article.js';
import type { Verification } from './verify.js';

export const NOT_FOUND = "I couldn't find that in the articles.";

/** Where a piece of text comes from: every quote and passage carries its source this way. */
export interface Cited {
  articleId: string;
  title: string;
  url?: string;
  date?: string;
  start: number;
  end: number;
  score: number;
  text: string;
}

/** Another outlet's copy of the quoted story that carries the same sentence (see copies.ts). */
export interface ReportedBy {
  articleId: string;
  title: string;
  /** The outlet: the url's host, else the folder the article was loaded from. */
  source: string;
  url?: string;
}

export interface Quote extends Cited {
  n: number;
  /** Syndicated copies of the same story that say the same thing; quoted once, listed here. */
  alsoReportedBy?: ReportedBy[];
}

/** The article fields a citation shows, leaving out the ones the article lacks. */
export const citation = (a: Article) => ({
  articleId: a.id,
  title: a.title,
  ...(a.url ? { url: a.url } : {}),
  ...(a.date ? { date: a.date } : {}),
});

export interface Answer {
  answer: string;
  found: boolean;
  /** The short answer (a name, date, place or number), a verbatim piece of the first quote's article. */
  short?: { text: string; articleId: string; start: number; end: number };
  quotes: Quote[];
  query: string;
  /** How well the best sentence supports the answer (0–1); below MIN_EVIDENCE_SCORE → not found. */
  evidence: number;
  /** The signals behind `evidence`, for tuning and the evaluation report. */
  signals?: { similarity: number; overlap: number; cue: number; missing: number };
  /** Who wrote the answer, when GENERATOR=openai: the model, or the extractive fallback. */
  generator?: 'extractive' | 'openai';
  /** How the model's quotes fared against the article text (model answers only). */
  verification?: Verification;
  /** Something the reader should know: the model failed, or a quote could not be verified. */
  warning?: string;
}
