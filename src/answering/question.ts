/**
 * The one value the ask pipeline passes from stage to stage (answering/ask.ts). Each stage reads
 * what the stages before it filled in and returns the question with its own part added; nothing
 * is changed in place, so each stage can be run and checked on its own.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { AppError } from '../errors.js';
import type { SearchFilter } from '../store/types.js';
import type { Answer } from './answer.js';
import type { Candidate } from './evidence.js';
import type { Retrieval, RetrievalMode } from './retrieve.js';
import type { Turn } from './rewrite.js';
import type { QuestionType } from './shortAnswer.js';
import type { TimeFrame } from './time.js';

/** What the read stage found in the passages: the candidate sentences and what the question asks for. */
export interface Reading {
  type: QuestionType;
  /** Terms of the names the question describes ("the Russian defense minister" → Belousov). */
  subjects?: Set<string>;
  candidates: Candidate[];
  /** Names and numbers of the question that no passage mentions. */
  missing: number;
}

/** What the choose stage decided: the quotes, the short answer, or a refusal. */
export interface Choice {
  found: boolean;
  evidence: number;
  signals?: Answer['signals'];
  /** The chosen sentences, the lead first (empty when refused). */
  chosen: Candidate[];
  /** The short answer inside the lead sentence, as offsets into its article. */
  short?: Answer['short'];
}

export interface Question {
  /** The user's words. */
  text: string;
  history: Turn[];
  filter?: SearchFilter;
  mode?: RetrievalMode;
  signal?: AbortSignal;
  /** Called with the retrieved passages before the answer is built (the SSE route sends them early). */
  onPassages?: (retrieval: Retrieval) => void;
  /** Called with each piece of a model's answer as it arrives. */
  onDelta?: (text: string) => void;
  /** understand time: the frame (asOf is set before the first stage). */
  time: TimeFrame;
  /** The asker gave the reference date (rather than the archive's newest date standing in): retrieval prefers the days before it. */
  asOfGiven: boolean;
  /** understand time: the range names a date, which may be about the story rather than its reporting. */
  absolute: boolean;
  /** understand time: the question without its time words. */
  focus: string;
  /** rewrite: the standalone query that is searched. */
  query: string;
  retrieval?: Retrieval;
  reading?: Reading;
  choice?: Choice;
  answer?: Answer;
  /** Milliseconds each stage took, by stage name. */
  stageMs: Record<string, number>;
}

/** One named step of the pipeline. */
export interface Stage {
  name: string;
  run(q: Question): Question | Promise<Question>;
}

/** A question before any stage ran. */
export function newQuestion(input: {
  question: string;
  history?: Turn[];
  filter?: SearchFilter;
  mode?: RetrievalMode;
  asOf?: string | null;
  asOfGiven?: boolean;
  signal?: AbortSignal;
}): Question {
  return {
    text: input.question,
    history: input.history ?? [],
    filter: input.filter,
    mode: input.mode,
    signal: input.signal,
    time: { asOf: input.asOf ? input.asOf.slice(0, 10) : null, since: null, until: null, recency: false },
    asOfGiven: input.asOfGiven ?? !!input.asOf,
    absolute: false,
    focus: input.question,
    query: input.question,
    stageMs: {},
  };
}

/**
 * Runs `stages` in order, timing each. The event loop gets a turn before each stage: most stages
 * are synchronous CPU work (reading hundreds of sentences, scoring them), and with a queue of
 * chats they would otherwise run back to back for seconds with no request (a health probe, a
 * cancellation) answered meanwhile.
 */
export async function runStages(q: Question, stages: Stage[]): Promise<Question> {
  let out = q;
  for (const stage of stages) {
    await turn();
    const t = performance.now();
    out = await stage.run(out);
    out = { ...out, stageMs: { ...out.stageMs, [stage.name]: performance.now() - t } };
  }
  return out;
}

/** A stage reached before the one it depends on ran: a wiring mistake, never user input. */
export function needs<K extends keyof Question>(q: Question, key: K, stage: string): NonNullable<Question[K]> {
  const v = q[key];
  if (v === undefined || v === null) throw new AppError('internal', `${stage}: the question has no ${String(key)} yet (a stage before it is missing)`);
  return v as NonNullable<Question[K]>;
}
