/**
 * The chat page with GENERATOR=openai, in the system Chromium against the real server and seed
 * index. The model is the scripted chat-completions server of tests/llmServer.ts (no generative
 * model can be installed here). Checks what a reader sees: which generator answered, verified
 * quotes marked and linked, an invented quote marked unverified and kept out of the sources, and
 * the fallback's warning; the marks survive a reload.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askOnPage, launchBrowser } from './browser.js';
import { seedServer } from './helpers.js';
import { startLlmServer } from './llmServer.js';

const QUESTION = 'Who did the Russian defense minister meet in Beijing?';
const DONG = 'When meeting with Belousov, Chinese Defense Minister Dong Jun called for the two sides to "deepen strategic collaboration"';
const INVENTED = 'Belousov signed a treaty on joint lunar bases';

describe('the chat page with your own model', () => {
  let llm: Awaited<ReturnType<typeof startLlmServer>>;
  let srv: Awaited<ReturnType<typeof seedServer>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    llm = await startLlmServer();
    srv = await seedServer({ GENERATOR: 'openai', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'scripted-7b', LLM_TIMEOUT_MS: '10000' });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(srv.url);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await llm?.close();
  });

  it('marks verified quotes, links them, and keeps the sentence of an invented quote out of the answer, listed apart', async () => {
    llm.script({ kind: 'answer', text: `He met Dong Jun. “${DONG}” [1] He also said “${INVENTED}” [1].` });
    const turn = await askOnPage(page, QUESTION);
    expect(await turn.getAttribute('data-state')).toBe('done');
    expect(await turn.locator('.warning').textContent()).not.toMatch(/did not answer/);
    expect(await turn.locator('.generator').textContent()).toContain('Written by your model');

    const verified = turn.locator('.answer-text .quoted.verified');
    expect(await verified.count()).toBe(1);
    expect(await verified.textContent()).toContain('deepen strategic collaboration');
    const ref = turn.locator('.answer-text a.ref');
    expect(await ref.count()).toBe(1);
    const target = (await ref.getAttribute('href'))!.slice(1);
    expect(await turn.locator(`[id="${target}"] mark`).textContent()).toBe(DONG);

    // The invented sentence is not in the answer text; it is listed apart, struck out.
    expect(await turn.locator('.answer-text').textContent()).not.toContain('lunar');
    expect(await turn.locator('.answer-text .quoted.unverified').count()).toBe(0);
    expect(await turn.locator('.quotes .quote').count()).toBe(1);
    expect(await turn.locator('.quotes .verified-badge').count()).toBe(1);
    expect(await turn.locator('.quotes').textContent()).not.toContain('lunar');
    const removed = turn.locator('.removed-quotes .removed-quote');
    expect(await removed.textContent()).toBe(`He also said “${INVENTED}” [1].`);
    expect(await removed.locator('s').count()).toBe(1);
    expect(await turn.locator('.removed-quotes .removed-title').textContent()).toMatch(/^1 sentence the model wrote quoted words not found in the articles/);
    expect(await turn.locator('.warning').textContent()).toMatch(/1 of 2 quoted passages .* not found/);
  });

  it('says when the model failed and the answer is built from the articles instead', async () => {
    llm.script({ kind: 'status', status: 500 });
    const turn = await askOnPage(page, 'When did Belousov arrive in Beijing?');
    expect(await turn.locator('.generator').textContent()).toContain('Built from the articles’ own sentences');
    expect(await turn.locator('.warning').textContent()).toMatch(/Your model did not answer \(the model server answered HTTP 500\)/);
    expect(await turn.locator('.quotes .quote').count()).toBeGreaterThan(0);
    expect(await turn.locator('.quoted.unverified').count()).toBe(0);
    expect(await turn.locator('.removed-quotes').count()).toBe(0);
  });

  it('keeps the marks across a reload', async () => {
    llm.script({ kind: 'answer', text: `“${DONG}” [1]. He added “${INVENTED}” [1].` });
    const turn = await askOnPage(page, 'Whom did Belousov meet?');
    expect(await turn.locator('.removed-quotes .removed-quote').count()).toBe(1);
    const n = await page.locator('#conversation > li.turn').count();
    await page.reload();
    const same = page.locator('#conversation > li.turn').nth(n - 1);
    await same.locator('.removed-quotes').waitFor();
    expect(await same.locator('.question-text').textContent()).toBe('Whom did Belousov meet?');
    expect(await same.locator('.quoted.verified').count()).toBe(1);
    expect(await same.locator('.removed-quotes .removed-quote').textContent()).toBe(`He added “${INVENTED}” [1].`);
    expect(await same.locator('.generator').textContent()).toContain('Written by your model');
    expect(problems).toEqual([]);
  });
});
