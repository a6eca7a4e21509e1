/**
 * The "read" stage: what the question asks for (asks.ts: a person, a date, a place, a number, a name) and the
 * candidate sentences of the best passages, each with its cheap signals (evidence.ts). No model
 * runs here.
 */
import { candidates, missingNames } from './evidence.js';
import { needs, type Question, type Stage } from './question.js';
import { questionSubjects, questionType } from './shortAnswer.js';

/** Passages whose sentences are considered: the six a user is shown (TOP_K), since on real news the answer is often in the fifth. */
export const PASSAGES = 6;

export const read: Stage = {
  name: 'read',
  run(q: Question): Question {
    const retrieval = needs(q, 'retrieval', 'read');
    // The user's own words decide the type and the overlap: in a follow-up, the subject and
    // topic carried over from earlier turns are in every passage and tell sentences apart poorly.
    const type = questionType(q.focus);
    const passages = retrieval.passages.slice(0, PASSAGES);
    const subjects =
      type === 'person'
        ? questionSubjects(
            q.query,
            [...new Set(passages.map((p) => p.article))].map((a) => a.text),
          )
        : undefined;
    return {
      ...q,
      reading: { type, subjects, candidates: candidates(q.focus, passages, type, q.query, subjects), missing: missingNames(q.query, passages).length },
    };
  },
};
