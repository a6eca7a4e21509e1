/**
 * GENERATOR=openai end to end: the real seed index, the real HTTP server and the real `openai`
 * client, talking to a scripted chat-completions server (tests/llmServer.ts: no generative model
 * can be installed here, so a small local server speaks the protocol in its place). Each case
 * asserts what the user receives: verified quotes with offsets into the article, removed quotes
 * and citations, refusals, and the extractive fallback with its warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchive } from '../src/archive.js';
import { archiveOptions, modelAnswerer } from '../src/boot.js';
import { loadConfig } from '../src/config.js';
import { NOT_FOUND } from '../src/answering/answer.js';
import { createApp } from '../src/server/app.js';
import { startLlmServer, type Reply } from './llmServer.js';
import { linesLogger, listen, postJson, quiet, seedServer, SEEDS } from './helpers.js';

const QUESTION = 'Who did the Russian defense minister meet in Beijing?';
// Copied from the seed article, with typographic quotes, apostrophe and dash where it has plain ones.
const DONG = 'When meeting with Belousov, Chinese Defense Minister Dong Jun called for the two sides to "deepen strategic collaboration"';
const NEGOTIATIONS = 'hold a number of negotiations with the country’s military and military–political leadership';
const FAITHFUL = `He met China’s defense minister, Dong Jun: “${DONG}” [2]. Belousov was to “${NEGOTIATIONS}.” [1]`;

let llm: Awaited<ReturnType<typeof startLlmServer>>;
let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  llm = await startLlmServer();
  srv = await seedServer({ GENERATOR: 'openai', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'scripted-7b', LLM_TIMEOUT_MS: '5000' });
});
afterAll(async () => {
  await srv?.close();
  await llm?.close();
});

const chat = async (question = QUESTION) => {
  const res = await postJson(`${srv.url}/api/chat`, { question });
  expect(res.status).toBe(200);
  return res.json;
};

/** Every quote is the article's own text at its offsets. */
async function expectVerbatim(quotes: { articleId: string; start: number; end: number; text: string }[]) {
  for (const q of quotes) {
    const article = await srv.archive.store.getArticle(q.articleId);
    expect(article!.text.slice(q.start, q.end)).toBe(q.text);
  }
}

interface Event {
  event: string;
  data: any;
}
async function streamEvents(body: unknown, signal?: AbortSignal): Promise<Event[]> {
  const res = await fetch(`${srv.url}/api/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1],
      data: JSON.parse(
        block
          .split('\n')
          .find((l) => l.startsWith('data: '))!
          .slice(6),
      ),
    }));
}

describe('a model answer, verified', () => {
  it('returns a faithful answer with every quote verified at exact article offsets', async () => {
    llm.script({ kind: 'answer', text: FAITHFUL });
    const before = llm.requests.length;
    const json = await chat();
    expect(json).toMatchObject({ found: true, generator: 'openai', verification: { quotes: 2, verified: 2, removed: 0, citationsRemoved: 0, unverified: [] } });
    expect(json.warning).toBeUndefined();
    expect(json.quotes.map((q: any) => q.n)).toEqual([1, 2]);
    expect(json.quotes[0].text).toBe(DONG);
    // The article's own characters (straight apostrophe, hyphen), not the model's typography.
    expect(json.quotes[1].text).toBe("hold a number of negotiations with the country's military and military-political leadership");
    await expectVerbatim(json.quotes);
    // The reader sees the article's words, numbered as the quotes are; the full stop the article lacks stays outside.
    expect(json.answer).toContain(`“${DONG}” [1]`);
    expect(json.answer).toContain(`“${json.quotes[1].text}”. [2]`);
    expect(json.answer.startsWith('He met China’s defense minister, Dong Jun:')).toBe(true);

    // The model was asked once, with our settings, the rules and the numbered passages.
    expect(llm.requests.length).toBe(before + 1);
    const sent = llm.requests.at(-1)!.body;
    expect(sent).toMatchObject({ model: 'scripted-7b', temperature: 0, max_tokens: 512 });
    expect(sent.stream).toBeFalsy();
    const system = sent.messages[0].content as string;
    expect(system).toContain('copied exactly');
    expect(system).toMatch(/\[1\] Moscow and Beijing Pledge .* \(2024-10-14\)/);
    expect(sent.messages.at(-1)).toEqual({ role: 'user', content: QUESTION });
  });

  it('removes a fabricated quote from the sources and says so', async () => {
    const fabricated = 'Belousov signed a treaty on joint lunar bases';
    llm.script({ kind: 'answer', text: `Dong Jun: “${DONG}” [1]. He also said “${fabricated}” [1].` });
    const json = await chat();
    expect(json.verification).toMatchObject({ quotes: 2, verified: 1, removed: 1, unverified: [`He also said “${fabricated}” [1].`] });
    expect(json.quotes).toHaveLength(1);
    expect(json.quotes[0].text).toBe(DONG);
    await expectVerbatim(json.quotes);
    expect(json.quotes.some((q: any) => q.text.includes('lunar'))).toBe(false);
    expect(json.warning).toMatch(/1 of 2 quoted passages .* not found in the articles; the sentence holding it is left out/);
    // The sentence with the fabricated quote is not in the text a client shows.
    expect(json.answer).toBe(`Dong Jun: “${DONG}” [1].`);
  });

  it('keeps a fabricated sentence out of /v1 message.content and lists it in archivist.unverified', async () => {
    const fabricated = 'Belousov signed a treaty on joint lunar bases';
    const reply = `Dong Jun: “${DONG}” [1]. He also said “${fabricated}.” [2] Dong Jun spoke for China.`;
    for (const stream of [false, true]) {
      llm.script({ kind: 'answer', text: reply });
      const res = await fetch(`${srv.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'archivist', stream, messages: [{ role: 'user', content: QUESTION }] }),
      });
      let content: string;
      let archivist: any;
      if (stream) {
        const chunks = (await res.text())
          .split('\n\n')
          .filter((b) => b.startsWith('data: {'))
          .map((b) => JSON.parse(b.slice(6)));
        content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
        archivist = chunks.at(-1).choices[0].delta.archivist;
      } else {
        const json = await res.json();
        content = json.choices[0].message.content;
        archivist = json.choices[0].message.archivist;
      }
      expect(content).not.toContain('lunar');
      expect(content.split('\n\n')[0]).toBe(`Dong Jun: “${DONG}” [1]. Dong Jun spoke for China.`);
      expect(archivist.unverified).toEqual([`He also said “${fabricated}.” [2]`]);
      expect(archivist.quotes).toHaveLength(1);
    }
  });

  it('does not verify a quote with one word changed', async () => {
    const changed = DONG.replace('strategic', 'tactical');
    llm.script({ kind: 'answer', text: `“${changed}” [1]` });
    const json = await chat();
    expect(json.verification).toMatchObject({ quotes: 1, verified: 0, removed: 1, unverified: [`“${changed}” [1]`] });
    // Nothing of the model's answer is left: the articles' own sentences answer instead.
    expect(json.generator).toBe('extractive');
    expect(json.answer).not.toContain('tactical');
    expect(json.quotes.length).toBeGreaterThan(0);
    await expectVerbatim(json.quotes);
    expect(json.found).toBe(true);
    expect(json.warning).toMatch(/Every sentence your model wrote quoted words not found in the articles/);
  });

  it('removes a citation of a passage that does not exist', async () => {
    llm.script({ kind: 'answer', text: `Dong Jun [9]. “${DONG}” [1]` });
    const json = await chat();
    expect(json.answer).not.toContain('[9]');
    expect(json.answer).toBe(`Dong Jun. “${DONG}” [1]`);
    expect(json.verification).toMatchObject({ quotes: 1, verified: 1, removed: 0, citationsRemoved: 1 });
    await expectVerbatim(json.quotes);
  });

  it('is not found when the model says the passages do not answer', async () => {
    llm.script({ kind: 'answer', text: 'The articles do not answer this.' });
    const json = await chat();
    expect(json).toMatchObject({ found: false, quotes: [], generator: 'openai', answer: 'The articles do not answer this.' });
  });

  it('does not call the model when the evidence is below the threshold', async () => {
    llm.script({ kind: 'answer', text: FAITHFUL });
    const before = llm.requests.length;
    const json = await chat('What is the capital of France?');
    expect(json).toMatchObject({ found: false, answer: NOT_FOUND, quotes: [] });
    expect(llm.requests.length).toBe(before);
  });
});

describe('a failing model falls back to the extractive answer', () => {
  it.each([
    ['hangs', { kind: 'hang' } as Reply, /did not finish within LLM_TIMEOUT_MS \(5000 ms\)/],
    ['returns 500', { kind: 'status', status: 500 } as Reply, /answered HTTP 500/],
  ])('when the server %s', async (_name, reply, warning) => {
    llm.script(reply);
    const json = await chat();
    expect(json.generator).toBe('extractive');
    expect(json.warning).toMatch(warning);
    expect(json.found).toBe(true);
    expect(json.answer).toContain('Belousov');
    expect(json.quotes.length).toBeGreaterThan(0);
    await expectVerbatim(json.quotes);
    const health = await (await fetch(`${srv.url}/api/health`)).json();
    expect(health.generator).toMatchObject({ kind: 'openai', model: 'scripted-7b', answered: false });
  });

  it('when the server is down, and health says the model did not answer', async () => {
    const down = await startLlmServer();
    const baseUrl = down.baseUrl;
    await down.close();
    const config = loadConfig({ SEEDS_DIR: SEEDS, LOG_LEVEL: 'silent', GENERATOR: 'openai', LLM_BASE_URL: baseUrl, LLM_MODEL: 'm' });
    const logged: string[] = [];
    const archive = createArchive({
      store: srv.archive.store,
      embedder: srv.archive.embedder,
      options: archiveOptions(config),
      generative: modelAnswerer(config, linesLogger(logged)),
    });
    const http = await listen(createApp({ archive, config, logger: quiet }));
    try {
      expect((await (await fetch(`${http.url}/api/health`)).json()).generator).toEqual({ kind: 'openai', model: 'm', answered: null });
      const json = (await postJson(`${http.url}/api/chat`, { question: QUESTION })).json;
      expect(json).toMatchObject({ generator: 'extractive', found: true, warning: expect.stringMatching(/could not be reached/) });
      // The failure is a warning on the logger the answerer was given, not on a logger of its own.
      expect(logged).toContain('generate: the model failed; answered from the articles instead');
      await expectVerbatim(json.quotes);
      const health = (await (await fetch(`${http.url}/api/health`)).json()).generator;
      expect(health).toMatchObject({ kind: 'openai', answered: false, error: 'the model server could not be reached' });
    } finally {
      await http.close();
    }
  });
});

describe('POST /api/chat/stream with a model', () => {
  it('sends the model tokens as deltas as they arrive, then the verified quotes, then done', async () => {
    const parts = ['He met ', 'Dong Jun: ', `“${DONG}” `, '[1]'];
    llm.script({ kind: 'answer', text: parts.join(''), pieces: parts });
    const events = await streamEvents({ question: QUESTION });
    const names = events.map((e) => e.event);
    expect(names).toEqual(['sources', 'delta', 'delta', 'delta', 'delta', 'quotes', 'done']);
    expect(events.filter((e) => e.event === 'delta').map((e) => e.data.text)).toEqual(parts);
    const final = events[5].data;
    expect(final).toMatchObject({ found: true, generator: 'openai', verification: { quotes: 1, verified: 1, removed: 0 } });
    expect(final.answer).toBe(`He met Dong Jun: “${DONG}” [1]`);
    await expectVerbatim(final.quotes);
    expect(llm.requests.at(-1)!.body.stream).toBe(true);
    const health = await (await fetch(`${srv.url}/api/health`)).json();
    expect(health.generator).toMatchObject({ kind: 'openai', answered: true });
  });

  it.each([
    ['closes mid-stream', { kind: 'cut', pieces: ['He met ', 'Dong'] } as Reply, /broke off mid-answer|closed the stream before the answer was finished/],
    ['sends a malformed stream', { kind: 'malformed' } as Reply, /sent a malformed stream/],
  ])('falls back to the extractive answer when the server %s', async (_name, reply, warning) => {
    llm.script(reply);
    const events = await streamEvents({ question: QUESTION });
    expect(events.at(-1)!.event).toBe('done');
    const final = events.find((e) => e.event === 'quotes')!.data;
    expect(final.generator).toBe('extractive');
    expect(final.warning).toMatch(warning);
    expect(final.answer).toContain('Belousov');
    expect(final.quotes.length).toBeGreaterThan(0);
    await expectVerbatim(final.quotes);
    expect(events.some((e) => e.event === 'error')).toBe(false);
  });

  it('cancels the model call when the client goes away', async () => {
    llm.script({ kind: 'hang' });
    const before = llm.requests.length;
    const controller = new AbortController();
    const res = await fetch(`${srv.url}/api/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: QUESTION }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the sources event: retrieval is done and the model is being asked
    while (llm.requests.length === before) await new Promise((r) => setTimeout(r, 10));
    const t = performance.now();
    controller.abort();
    await llm.requests.at(-1)!.closed;
    // Closed by the cancellation, well before LLM_TIMEOUT_MS (5000 ms) would have closed it.
    expect(performance.now() - t).toBeLessThan(4000);
  });
});

describe('settings', () => {
  it.each([
    [{ GENERATOR: 'openai', LLM_MODEL: 'm' }, /LLM_BASE_URL: GENERATOR=openai needs LLM_BASE_URL/],
    [{ GENERATOR: 'openai', LLM_BASE_URL: 'http://localhost:11434/v1' }, /LLM_MODEL: GENERATOR=openai needs LLM_MODEL/],
    [{ GENERATOR: 'openai', LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'm', LLM_TIMEOUT_MS: '20000' }, /LLM_TIMEOUT_MS must be smaller than REQUEST_TIMEOUT_MS/],
    [
      { GENERATOR: 'openai', LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'm', LLM_MAX_TOKENS: '3000' },
      /LLM_MAX_TOKENS must be less than half of LLM_CONTEXT_TOKENS/,
    ],
    [{ GENERATOR: 'openai', LLM_BASE_URL: 'not a url', LLM_MODEL: 'm' }, /LLM_BASE_URL: must be a URL/],
    [{ GENERATOR: 'gpt' }, /GENERATOR/],
  ])('refuses %j at start with a message naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('defaults to the extractive generator with nothing configured, and then ignores the model settings', async () => {
    expect(loadConfig({}).generator).toBe('extractive');
    expect(loadConfig({ LLM_CONTEXT_TOKENS: '512', LLM_MAX_TOKENS: '1000' }).generator).toBe('extractive');
  });
});
