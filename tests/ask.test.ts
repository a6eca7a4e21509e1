/** The ask pipeline's model-free stages, each on its own, on a Question built by hand. */
import { describe, expect, it } from 'vitest';
import { NOT_FOUND } from '../src/answering/answer.js';
import { cite } from '../src/answering/cite.js';
import { extractiveAnswer } from '../src/answering/phrase.js';
import { newQuestion, runStages, type Question } from '../src/answering/question.js';
import { read } from '../src/answering/read.js';
import type { Passage, Retrieval } from '../src/answering/retrieve.js';
import { rewrite } from '../src/answering/rewrite.js';
import { understand } from '../src/answering/time.js';
import { makeArticle } from '../src/corpus/article.js';

const text = [
  'Russian Defense Minister Andrei Belousov arrived in Beijing on Monday for talks with his Chinese counterpart.',
  'A video published by the ministry showed a band playing the national anthem.',
].join('\n');
const article = makeArticle({ title: 'Defense Minister Visits China', date: '2024-09-01', text }, 'a.txt');
const copy = makeArticle({ title: 'Belousov in Beijing', date: '2024-09-01', text: `Wire report.\n${text}` }, 'b.txt');
const passage = (a = article): Passage => ({ chunkId: `${a.id}:0`, article: a, start: 0, end: a.text.length, text: a.text, score: 1 });
const retrieval = (passages: Passage[]): Retrieval => ({ passages, queryVector: new Float32Array([1, 0]), timings: { embedMs: 0, vectorMs: 0, keywordMs: 0 } });
const q = (question: string, more: Partial<Question> = {}): Question => ({ ...newQuestion({ question, asOf: '2024-10-16' }), ...more });

describe('understand time', () => {
  it('sets the frame and strips the time words from the focus', () => {
    const out = understand.run(q('What did Belousov do last week?')) as Question;
    expect(out.time).toEqual({ asOf: '2024-10-16', since: '2024-10-07', until: '2024-10-13', recency: false });
    expect(out.focus).toBe('What did Belousov do?');
    expect(out.text).toBe('What did Belousov do last week?');
  });
});

describe('rewrite', () => {
  it('turns the focus of a follow-up into a standalone query', () => {
    const history = [{ role: 'user' as const, content: 'Who is Andrei Belousov?' }];
    const out = rewrite.run(q('When did he arrive?', { focus: 'When did he arrive?', history })) as Question;
    expect(out.query).toBe('When did Andrei Belousov arrive?');
  });
});

describe('read', () => {
  it('reads the question type and the candidate sentences of the passages', () => {
    const out = read.run(q('Where did Belousov arrive?', { retrieval: retrieval([passage()]) })) as Question;
    expect(out.reading?.type).toBe('place');
    expect(out.reading?.candidates.map((c) => c.text)).toEqual(text.split('\n'));
    expect(out.reading?.missing).toBe(0);
  });

  it('counts the names of the question that no passage mentions', () => {
    const out = read.run(q('Where did Shoigu arrive?', { query: 'Where did Shoigu arrive?', retrieval: retrieval([passage()]) })) as Question;
    expect(out.reading?.missing).toBe(1);
  });

  it('says which stage is missing when run out of order', () => {
    expect(() => read.run(q('Where?'))).toThrow(/read: the question has no retrieval yet/);
  });
});

const chosen = (a = article) => {
  const [c] = (read.run(q('Where did Belousov arrive?', { retrieval: retrieval([passage(a)]) })) as Question).reading!.candidates;
  return c;
};

describe('phrase (extractive)', () => {
  it('puts the short answer before the numbered quotes', () => {
    const c = chosen();
    const at = text.indexOf('Beijing');
    const out = extractiveAnswer(
      q('Where?', { choice: { found: true, evidence: 0.7, chosen: [c], short: { text: 'Beijing', articleId: article.id, start: at, end: at + 7 } } }),
    );
    expect(out.answer).toBe(`Beijing. “${text.split('\n')[0]}” [1]`);
    expect(out.quotes[0]).toMatchObject({ n: 1, articleId: article.id, start: 0, date: '2024-09-01' });
  });

  it('answers NOT_FOUND with no quotes when the choice refused', () => {
    expect(extractiveAnswer(q('Where?', { choice: { found: false, evidence: 0.1, chosen: [] } }))).toMatchObject({
      answer: NOT_FOUND,
      found: false,
      quotes: [],
    });
  });
});

describe('cite', () => {
  it('lists a syndicated copy under the quote it repeats', () => {
    const a = { ...article, cluster: 'story' };
    const b = { ...copy, cluster: 'story' };
    const answer = extractiveAnswer(q('Where?', { choice: { found: true, evidence: 0.7, chosen: [chosen(a)] } }));
    const out = cite.run(q('Where?', { answer, retrieval: retrieval([passage(a), passage(b)]) })) as Question;
    expect(out.answer?.quotes[0].alsoReportedBy?.map((r) => r.articleId)).toEqual([b.id]);
  });

  it('dates a quote from an old article for a question about now', () => {
    const answer = extractiveAnswer(q('Where?', { choice: { found: true, evidence: 0.7, chosen: [chosen()] } }));
    const out = cite.run(
      q('Where?', { answer, retrieval: retrieval([passage()]), time: { asOf: '2024-10-16', since: null, until: null, recency: true } }),
    ) as Question;
    expect(out.answer?.answer).toContain('[1] (from 1 September 2024)');
  });
});

describe('runStages', () => {
  it('runs the stages in order and times each by name', async () => {
    const out = await runStages(q('What did Belousov do last week?'), [understand, rewrite]);
    expect(out.query).toBe('What did Belousov do?');
    expect(Object.keys(out.stageMs)).toEqual(['understand time', 'rewrite']);
  });

  it('gives the event loop a turn between stages, so a request waiting meanwhile (a health probe) is answered', async () => {
    const seen: string[] = [];
    const stage = (name: string) => ({
      name,
      run: (question: Question) => {
        seen.push(name);
        // Work that became due while this stage ran, as an incoming request's callback does.
        setImmediate(() => seen.push(`turn after ${name}`));
        return question;
      },
    });
    await runStages(q('Who met in Beijing?'), [stage('read'), stage('choose'), stage('phrase')]);
    expect(seen.slice(0, 5)).toEqual(['read', 'turn after read', 'choose', 'turn after choose', 'phrase']);
  });
});
