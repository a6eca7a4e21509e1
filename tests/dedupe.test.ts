/** Near-duplicate clusters at ingest (MinHash) and one quote per story at answer time. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeArticle } from '../src/corpus/article.js';
import { sameStory, withCopies } from '../src/answering/copies.js';
import type { Quote } from '../src/answering/answer.js';
import { loadEvalSet } from '../src/eval/dataset.js';
import { clusters, signature, similarity } from '../src/ingest/dedupe.js';
import { markArticles } from '../src/ingest/ingest.js';
import { REPO } from './helpers.js';

const NEWS = join(REPO, 'eval/news/questions.jsonl');
const COPIES = [
  'https://harborledger.example/news/2025/10/21/riverton-light-rail-extension',
  'https://valleycourier.example/region/riverton-approves-airport-light-rail',
];

describe('clusters', () => {
  it('puts the two syndicated copies of the news set in one cluster, and nothing else', async () => {
    const { articles } = await loadEvalSet(NEWS);
    const marked = markArticles(articles);
    const inCluster = marked.filter((a) => a.cluster);
    expect(inCluster.map((a) => a.url).sort()).toEqual([...COPIES].sort());
    expect(new Set(inCluster.map((a) => a.cluster)).size).toBe(1);
    // The same day's different article on the same subject, and the strike's three days, stay apart.
    expect(marked.find((a) => a.url?.endsWith('riverton-light-rail-appeal'))!.cluster).toBeUndefined();
    expect(marked.filter((a) => a.url?.includes('harborledger.example/news/2025/10/1')).every((a) => !a.cluster)).toBe(true);
  });

  it('compares prose only: boilerplate lines do not make two stories copies', () => {
    const footer = Array.from(
      { length: 6 },
      (_, i) => `Related article: [Harbour story number ${i} about the council, the port and the ferries](https://x.example/${i})`,
    ).join('\n');
    const text = (body: string) => `${body}\n\n${footer}`;
    const a = makeArticle(
      { title: 'A', text: text('The council voted to close the old harbour bridge for repairs that will take six months and cost a great deal.') },
      'a.md',
    );
    const b = makeArticle(
      { title: 'B', text: text('Fishermen landed a record catch of herring at the northern quay on a cold and windy Tuesday morning this week.') },
      'b.md',
    );
    const [ma, mb] = markArticles([a, b]);
    expect(similarity(signature(ma)!, signature(mb)!)).toBeLessThan(0.2);
    expect(clusters([ma, mb]).size).toBe(0);
  });

  it('names the cluster after an already stored copy, so stored articles need no rewrite', async () => {
    const { articles } = await loadEvalSet(NEWS);
    const copies = articles.filter((a) => COPIES.includes(a.url!));
    const stored = copies.find((a) => a.url === COPIES[1])!;
    const out = clusters(copies, (a) => a.id === stored.id);
    expect([...out.values()]).toEqual([stored.id, stored.id]);
  });
});

describe('copies at answer time', () => {
  const body = 'The council approved a 412 million crown extension of the light rail line on Tuesday. Mayor Celia Brandt called it historic.';
  const a = { ...makeArticle({ title: 'Rail A', url: 'https://a.example/rail', text: body }, 'a.md'), cluster: 'story' };
  const b = { ...makeArticle({ title: 'Rail B', url: 'https://b.example/rail', text: body }, 'b.md'), cluster: 'story' };
  const changed = { ...makeArticle({ title: 'Rail C', url: 'https://c.example/rail', text: body.replace('412', '415') }, 'c.md'), cluster: 'story' };
  const sentence = 'The council approved a 412 million crown extension of the light rail line on Tuesday.';
  const quote: Quote = { n: 1, articleId: a.id, title: a.title, url: a.url, start: 0, end: sentence.length, score: 1, text: sentence };

  it('treats a copy that carries the quoted sentence as the same story, and one that differs in it as not', () => {
    expect(sameStory(a, b, sentence)).toBe(true);
    expect(sameStory(a, changed, sentence)).toBe(false);
    expect(sameStory(a, { ...b, cluster: undefined }, sentence)).toBe(false);
  });

  it('lists the copies that say the same under the quote, with title, outlet and url', () => {
    const [q] = withCopies([quote], [a, b, changed], new Map([a, b, changed].map((x) => [x.id, x])));
    expect(q.alsoReportedBy).toEqual([{ articleId: b.id, title: 'Rail B', source: 'b.example', url: 'https://b.example/rail' }]);
  });
});
