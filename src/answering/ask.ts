/**
 * The ask path as a pipeline of named stages passing one `Question` (question.ts):
 *
 *   understand time → rewrite → digest → retrieve → read → choose → phrase → cite
 *
 * A period question ("What happened last week?") is answered by the digest stage; the stages
 * that build a fact's answer then pass it by.
 *
 * Each stage is one module with its own test; a new stage is one more entry here. The
 * evaluation reads `stageMs` for per-stage figures.
 */
import type { Embedder } from '../embed.js';
import { AppError } from '../errors.js';
import { cite } from './cite.js';
import { createChoose, embeddedSentences } from './choose.js';
import { digestStage } from './digest.js';
import type { AnswerOptions } from './extractive.js';
import type { GenerativeAnswerer } from './generative.js';
import { createPhrase } from './phrase.js';
import { newQuestion, runStages, type Question, type Stage } from './question.js';
import { read } from './read.js';
import { retrieveStage, type Retriever } from './retrieve.js';
import { rewrite } from './rewrite.js';
import { storedSentences } from './sentenceVectors.js';
import type { Store } from '../store/types.js';
import { understand } from './time.js';

/** A stage that stops the pipeline when the request was cancelled. */
const unlessCancelled = (stage: Stage): Stage => ({
  name: stage.name,
  run(q) {
    if (q.signal?.aborted) throw new AppError('cancelled', 'chat: the request was cancelled');
    return stage.run(q);
  },
});

/** A stage a digest (digest.ts) makes needless: a question that has its answer passes it by. */
const unlessAnswered = (stage: Stage): Stage => ({
  name: stage.name,
  run: (q) => (q.answer ? q : stage.run(q)),
});

/**
 * The stages in order, wired to the store (digests, and the sentence vectors made at ingest),
 * the retriever, the embedder (only for what those lack) and (optionally) the user's model.
 */
export function askStages(deps: {
  store: Parameters<typeof digestStage>[0]['store'] & Pick<Store, 'sentenceSets'>;
  retriever: Retriever;
  embedder: Embedder;
  options: AnswerOptions;
  generative?: GenerativeAnswerer;
}): Stage[] {
  return [
    understand,
    rewrite,
    digestStage({ store: deps.store, retriever: deps.retriever }),
    ...[
      retrieveStage(deps.retriever),
      read,
      createChoose({ vectors: storedSentences({ store: deps.store, fallback: embeddedSentences(deps.embedder) }), options: deps.options }),
      createPhrase({ generative: deps.generative }),
    ].map(unlessAnswered),
    cite,
  ].map(unlessCancelled);
}

/**
 * @example
 *   const ask = createAsk({ retriever, store, embedder, options });
 *   const q = await ask({ question: 'Who visited Beijing?', asOf: '2024-10-16' });
 *   q.answer?.quotes[0].text; q.stageMs.retrieve
 */
export function createAsk(deps: Parameters<typeof askStages>[0]) {
  const stages = askStages(deps);
  return (input: Parameters<typeof newQuestion>[0] & Pick<Question, 'onPassages' | 'onDelta'>): Promise<Question> =>
    runStages({ ...newQuestion(input), onPassages: input.onPassages, onDelta: input.onDelta }, stages);
}
