/** The answerer alone, with a tiny stand-in embedder so each signal can be set by hand. */
import { describe, expect, it } from 'vitest';
import { NOT_FOUND } from '../src/answering/answer.js';
import { createAnswerer } from '../src/answering/extractive.js';
import { candidates, missingNames, overlap } from '../src/answering/evidence.js';
import { makeArticle } from '../src/corpus/article.js';
import { Embedder } from '../src/embed.js';
import type { Passage, Retrieval } from '../src/answering/retrieve.js';
import { createChoose, embeddedSentences } from '../src/answering/choose.js';
import { newQuestion, type Question } from '../src/answering/question.js';
import { read } from '../src/answering/read.js';

const text = [
  'Russian Defense Minister Andrei Belousov arrived in Beijing Monday for talks with his Chinese counterpart.',
  'A video published by the ministry showed a band playing the national anthem.',
  '',
  'Last month, Russian and Chinese warships carried out joint drills in the Sea of Japan.',
].join('\n');
const article = makeArticle({ title: 'Defense Minister Visits China', url: 'https://example.com/a', date: '2024-10-14', text }, 'a.txt');
const passage: Passage = { chunkId: `${article.id}:0`, article, start: 0, end: text.length, text, score: 1 };

/** Similarity of a sentence to the query is 1 when it contains `near`, else `far`. */
function embedderWith(near: string, far = 0.1) {
  const extract = async (texts: string[]) => {
    const data = new Float32Array(texts.length * 2);
    texts.forEach((t, i) => {
      const s = t === 'QUERY' ? 1 : t.includes(near) ? 1 : far;
      data[i * 2] = s;
      data[i * 2 + 1] = Math.sqrt(1 - s * s);
    });
    return { data, dims: [texts.length, 2] };
  };
  return new Embedder('fake', 2, 16, extract);
}
const options = { minEvidenceScore: 0.5, maxQuotes: 2 };
const retrieval = (passages: Passage[]): Retrieval => ({
  passages,
  queryVector: new Float32Array([1, 0]),
  timings: { embedMs: 0, vectorMs: 0, keywordMs: 0 },
});

describe('overlap', () => {
  it('matches stemmed words ("visited" meets "visit")', () => {
    expect(overlap('Who visited Beijing?', new Set(['visit', 'beij']))).toBeGreaterThan(0);
    expect(overlap('Who visited?', new Set(['visit']))).toBe(1);
  });
  it('weighs names and numbers double', () => {
    // "Belousov" (2) found, "arrive" (1) missing → 2/3
    expect(overlap('When did Belousov arrive?', new Set(['belousov']))).toBeCloseTo(2 / 3, 10);
  });
});

describe('candidates', () => {
  it('skips captions and link lines, keeps statements with their offsets', () => {
    const t = 'Russian Defense Ministry\n\nRelated article: [Something Else Entirely Here](#)\n\nBelousov arrived in Beijing on Monday for talks.';
    const a = makeArticle({ title: 'T', text: t }, 'b.txt');
    const c = candidates('When did Belousov arrive?', [{ ...passage, article: a, start: 0, end: t.length, text: t }], 'date');
    expect(c.map((x) => x.text)).toEqual(['Belousov arrived in Beijing on Monday for talks.']);
    expect(t.slice(c[0].start, c[0].end)).toBe(c[0].text);
  });

  it('never offers a question as a quote, a subhead or a rhetorical one', () => {
    const t =
      'HISTORY LESSON:Which NBA players have led the league in all-time points?\n\nLeBron James became the NBA’s all-time leading scorer on Tuesday. Who could have seen it coming?”';
    const a = makeArticle({ title: 'T', text: t }, 'q.txt');
    const c = candidates('Which athlete became the NBA’s all-time leading scorer?', [{ ...passage, article: a, start: 0, end: t.length, text: t }], 'name');
    expect(c.map((x) => x.text)).toEqual(['LeBron James became the NBA’s all-time leading scorer on Tuesday.']);
  });

  it('joins a neighbour in the same paragraph when it holds the rest of the question', () => {
    const t = 'Bohemond led the Normans in the siege. He landed at Valona in 1107 with a great fleet.';
    const a = makeArticle({ title: 'T', text: t }, 'c.txt');
    const [first] = candidates('When did Bohemond land at Valona?', [{ ...passage, article: a, start: 0, end: t.length, text: t }], 'date').filter((x) =>
      x.text.includes('1107'),
    );
    expect(first.text).toBe(t);
  });
});

describe('missingNames', () => {
  it('lists names and numbers of the question that no passage mentions', () => {
    expect(missingNames('Did Belousov visit Paris in 2023?', [passage])).toEqual(['Paris', '2023']);
  });
});

describe('createAnswerer', () => {
  it('quotes the best-supported sentence verbatim, with its source and a short answer', async () => {
    const answerer = createAnswerer({ embedder: embedderWith('Belousov'), options });
    const q = 'Who is the Russian defense minister who visited Beijing?';
    const a = await answerer.answer(q, q, retrieval([passage]));
    expect(a.found).toBe(true);
    expect(a.quotes[0]).toMatchObject({ n: 1, articleId: article.id, title: article.title, url: 'https://example.com/a', date: '2024-10-14' });
    expect(text.slice(a.quotes[0].start, a.quotes[0].end)).toBe(a.quotes[0].text);
    expect(a.quotes[0].text).toContain('Andrei Belousov arrived');
    expect(a.short?.text).toBe('Andrei Belousov');
    expect(text.slice(a.short!.start, a.short!.end)).toBe('Andrei Belousov');
    expect(a.answer.startsWith('Andrei Belousov. “Russian Defense Minister')).toBe(true);
  });

  it('refuses when the best sentence is not similar enough, and quotes nothing', async () => {
    const answerer = createAnswerer({ embedder: embedderWith('nothing matches this', 0.3), options });
    const a = await answerer.answer('Who won the World Cup?', 'Who won the World Cup?', retrieval([passage]));
    expect(a).toMatchObject({ found: false, answer: NOT_FOUND, quotes: [] });
    expect(a.evidence).toBeLessThan(0.5);
  });

  it('refuses when the question names something no passage mentions, even if similar', async () => {
    const answerer = createAnswerer({ embedder: embedderWith('Belousov', 0.6), options: { ...options, minEvidenceScore: 0.85 } });
    const ok = await answerer.answer('When did Belousov arrive in Beijing?', 'When did Belousov arrive in Beijing?', retrieval([passage]));
    const swapped = await answerer.answer('When did Belousov arrive in Pyongyang?', 'When did Belousov arrive in Pyongyang?', retrieval([passage]));
    expect(ok.found).toBe(true);
    expect(swapped.found).toBe(false);
    expect(swapped.signals?.missing).toBe(1);
  });

  it('counts a missing name less when the question names many things (a quiz question with its context)', async () => {
    const answerer = createAnswerer({ embedder: embedderWith('Belousov', 0.6), options: { ...options, minEvidenceScore: 0.85 } });
    // Six names and numbers, one of them (Xinhua) in no passage: a sixth of the evidence lost, not all of it.
    const q = 'Russian Defense Minister Andrei Belousov held talks in Beijing, Xinhua said. When did Belousov arrive?';
    const a = await answerer.answer(q, q, retrieval([passage]));
    expect(a.signals?.missing).toBe(1);
    expect(a.found).toBe(true);
    expect(a.quotes[0].text).toContain('Belousov arrived in Beijing Monday');
  });

  it('refuses when there are no passages at all', async () => {
    const answerer = createAnswerer({ embedder: embedderWith('x'), options });
    expect((await answerer.answer('Who?', 'Who?', retrieval([]))).found).toBe(false);
  });

  it('adds a second quote only when it says something the first does not', async () => {
    const twin = makeArticle({ title: 'Copy', text: text.split('\n')[0] }, 'copy.txt');
    const copy: Passage = { ...passage, chunkId: `${twin.id}:0`, article: twin, end: twin.text.length, text: twin.text };
    const answerer = createAnswerer({ embedder: embedderWith('Belousov'), options });
    const q = 'When did Belousov arrive in Beijing?';
    const a = await answerer.answer(q, q, retrieval([passage, copy]));
    expect(a.quotes).toHaveLength(1);
  });
});

describe('createChoose', () => {
  const reading = (question: string) => read.run({ ...newQuestion({ question }), retrieval: retrieval([passage]) }) as Question;
  it('leads with the sentence the embedding and the words agree on, with its short answer', async () => {
    const choose = createChoose({ vectors: embeddedSentences(embedderWith('Belousov')), options });
    const out = await choose.run(reading('Where did Belousov arrive?'));
    expect(out.choice).toMatchObject({ found: true, short: { text: 'Beijing' } });
    expect(out.choice?.chosen[0].text).toContain('arrived in Beijing');
  });
  it('gives the short answer the passages repeat, and leads with a sentence that says it', async () => {
    const story = (title: string, t: string) => {
      const a = makeArticle({ title, url: `https://example.com/${title.length}`, date: '2023-01-07', text: t }, `${title.length}.txt`);
      return { chunkId: `${a.id}:0`, article: a, start: 0, end: t.length, text: t, score: 1 } as Passage;
    };
    const passages = [
      story('Speaker vote', 'Hakeem Jeffries spoke for hours before the speaker of the House vote on Friday night.'),
      story('House votes', 'After 15 rounds, Kevin McCarthy was elected speaker of the House early on Saturday.'),
      story('A long week', 'Kevin McCarthy was elected speaker of the House on the fifteenth ballot this week.'),
      story('What next', 'Republicans cheered as Kevin McCarthy was elected speaker of the House at last.'),
    ];
    const question = 'Who was elected speaker of the House?';
    const q = read.run({ ...newQuestion({ question }), retrieval: retrieval(passages) }) as Question;
    const choose = createChoose({ vectors: embeddedSentences(embedderWith('Jeffries', 0.5)), options });
    const out = await choose.run(q);
    expect(out.choice).toMatchObject({ found: true, short: { text: 'Kevin McCarthy' } });
    expect(out.choice?.chosen[0].text).toContain('Kevin McCarthy');
  });
  it('refuses when no sentence is similar enough', async () => {
    const choose = createChoose({ vectors: embeddedSentences(embedderWith('nothing matches this', 0.3)), options });
    const out = await choose.run(reading('What did the mayor of Lisbon say?'));
    expect(out.choice).toMatchObject({ found: false, chosen: [] });
  });
});
