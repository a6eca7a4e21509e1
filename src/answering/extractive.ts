/**
 * The extractive answerer: no generative model runs here, so an answer is built only from the
 * articles' own sentences — the read, choose and phrase stages of the ask pipeline run on
 * passages already retrieved. Candidate sentences from the best passages are scored on three
 * signals (embedding similarity, stemmed keyword overlap, and whether they hold the kind of
 * thing the question asks for); the best become quotes, each checked to be a verbatim slice of
 * its article. When the evidence is weak the answer says so and quotes nothing.
 */
import type { Embedder } from '../embed.js';
import type { Answer } from './answer.js';
import { createChoose, embeddedSentences } from './choose.js';
import { createPhrase } from './phrase.js';
import { newQuestion, runStages } from './question.js';
import { read } from './read.js';
import type { Retrieval } from './retrieve.js';

export interface AnswerOptions {
  minEvidenceScore: number;
  maxQuotes: number;
}

export function createAnswerer(deps: { embedder: Embedder; options: AnswerOptions }) {
  const stages = [read, createChoose({ vectors: embeddedSentences(deps.embedder), options: deps.options }), createPhrase()];
  return {
    /**
     * @param question what the user asked (its words decide the question type)
     * @param query the standalone query that was searched (after follow-up rewriting)
     */
    async answer(question: string, query: string, retrieval: Retrieval): Promise<Answer & { timings: { evidenceMs: number } }> {
      const t0 = performance.now();
      const q = await runStages({ ...newQuestion({ question }), query, retrieval }, stages);
      return { ...q.answer!, timings: { evidenceMs: performance.now() - t0 } };
    },
  };
}

export type Answerer = ReturnType<typeof createAnswerer>;
