/**
 * The generative answerer: the user's model writes the answer from the retrieved passages, and
 * the code checks it (verify.ts) before anyone reads it as sourced. It runs only after the
 * extractive evidence check found support: below the threshold the model is not called. When
 * the model fails in any way, the extractive answer is given instead, with a warning saying
 * why: a chat never fails because the model did.
 */
import type { Logger } from '../log.js';
import type { Answer } from './answer.js';
import { GenerationError, type Generator } from './generate.js';
import { buildPrompt, isRefusal, type PromptBudget } from './prompt.js';
import type { Retrieval } from './retrieve.js';
import type { Turn } from './rewrite.js';
import { verifyAnswer } from './verify.js';

export interface GenerativeInput {
  question: string;
  history?: Turn[];
  retrieval: Retrieval;
  /** The extractive answer: its evidence decides whether the model is asked, and it is the fallback. */
  extractive: Answer;
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
}

/**
 * @example
 *   const generative = createGenerativeAnswerer({ generator, budget: { contextTokens: 4096, maxTokens: 512 } });
 *   const answer = await generative.answer({ question, retrieval, extractive });
 */
export function createGenerativeAnswerer(deps: { generator: Generator; budget: PromptBudget; logger?: Logger }) {
  const { generator, budget, logger } = deps;

  const fallback = (extractive: Answer, reason: string): Answer => {
    logger?.warn({ reason, model: generator.model }, 'generate: the model failed; answered from the articles instead');
    return { ...extractive, generator: 'extractive', warning: `Your model did not answer (${reason}); this answer is built from the articles' own sentences.` };
  };

  return {
    generator,

    /** The model's answer with every quote checked, or the extractive answer and a warning. */
    async answer(input: GenerativeInput): Promise<Answer> {
      const { extractive } = input;
      // Weak evidence: today's "not found", and no model call that could only invent an answer.
      if (!extractive.found) return { ...extractive, generator: 'extractive' };
      const prompt = buildPrompt({ question: input.question, history: input.history, passages: input.retrieval.passages, budget });
      let text: string;
      try {
        text = await generator.complete({ messages: prompt.messages, signal: input.signal, onDelta: input.onDelta });
        if (!text.trim()) throw new GenerationError('the model server sent an empty answer');
      } catch (err) {
        if (err instanceof GenerationError) return fallback(extractive, err.message);
        throw err; // cancelled: nobody is waiting for a fallback
      }
      const base = {
        query: extractive.query,
        evidence: extractive.evidence,
        ...(extractive.signals ? { signals: extractive.signals } : {}),
        generator: 'openai' as const,
      };
      if (isRefusal(text)) {
        return {
          ...base,
          answer: text.trim(),
          found: false,
          quotes: [],
          verification: { quotes: 0, verified: 0, removed: 0, citationsRemoved: 0, unverified: [] },
        };
      }
      const checked = verifyAnswer(text, prompt.passages, input.retrieval.passages);
      const v = checked.verification;
      if (!checked.answer) {
        // Every sentence quoted words the articles do not hold: nothing of the model's answer is left.
        return {
          ...extractive,
          generator: 'extractive',
          verification: v,
          warning: `Every sentence your model wrote quoted words not found in the articles, so none is shown; this answer is built from the articles' own sentences.`,
        };
      }
      return {
        ...base,
        answer: checked.answer,
        found: true,
        quotes: checked.quotes,
        verification: v,
        ...(v.removed
          ? {
              warning: `${v.removed} of ${v.quotes} quoted ${v.quotes === 1 ? 'passage was' : 'passages were'} not found in the articles; ${v.removed === 1 ? 'the sentence holding it is' : 'the sentences holding them are'} left out of this answer.`,
            }
          : !v.quotes
            ? { warning: 'The model quoted nothing, so no part of this answer could be checked against the articles.' }
            : {}),
      };
    },
  };
}

export type GenerativeAnswerer = ReturnType<typeof createGenerativeAnswerer>;
