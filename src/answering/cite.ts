/**
 * The "cite" stage: the sources as the reader sees them. Syndicated copies among what was
 * retrieved are listed under the quote they repeat (copies.ts), and for a question about now
 * each quote from an old article says its date.
 */
import { withCopies } from './copies.js';
import { needs, type Question, type Stage } from './question.js';
import { dateOldQuotes } from './time.js';

export const cite: Stage = {
  name: 'cite',
  run(q: Question): Question {
    const answer = needs(q, 'answer', 'cite');
    const retrieval = needs(q, 'retrieval', 'cite');
    const seen = [...new Map(retrieval.passages.flatMap((p) => [p.article, ...(p.copies ?? [])]).map((a) => [a.id, a])).values()];
    const quotes = withCopies(answer.quotes, seen, new Map(seen.map((a) => [a.id, a])));
    return { ...q, answer: { ...answer, quotes, answer: dateOldQuotes(answer.answer, quotes, q.time) } };
  },
};
