/**
 * The chat page against a server started with API_TOKEN, in the system Chromium: the page asks
 * for the token once in its own dialog (never `prompt()`), keeps it for the tab, sends it on
 * every API call, says so when the server refuses it and lets the person enter it again.
 */
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askOnPage, launchBrowser, turnCount, waitForTurn } from './browser.js';
import { seedServer } from './helpers.js';

const TOKEN = 'page-test-token-0f3a';
const QUESTION = 'Who is the Russian defense minister who visited Beijing?';

/** A page that records its API requests with the Authorization header each carried, and any problem. */
async function openPage(browser: Awaited<ReturnType<typeof launchBrowser>>) {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  const calls: Promise<{ path: string; auth: string | null }>[] = [];
  page.on('dialog', async (d) => {
    problems.push(`native dialog: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/')) calls.push(r.headerValue('authorization').then((auth) => ({ path, auth })));
  });
  return { page, problems, calls: () => Promise.all(calls) };
}

const tokenDialog = (page: Page) => page.getByRole('dialog', { name: 'This archive needs an API token' });

/** Types a token into the open dialog the way a person does and sends it with Enter. */
async function enterToken(page: Page, token: string) {
  const field = tokenDialog(page).getByLabel('API token');
  await field.waitFor();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-field');
  await field.pressSequentially(token);
  await field.press('Enter');
}

describe('the chat page with API_TOKEN set', () => {
  let srv: Awaited<ReturnType<typeof seedServer>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    srv = await seedServer({ API_TOKEN: TOKEN });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('asks for the token once, says when it is wrong, then sends it on every call: articles, chat, article texts, feedback, answers', async () => {
    const { page, problems, calls } = await openPage(browser);
    await page.goto(srv.url);

    // The articles and sources panels both got a 401: one dialog, not two.
    await tokenDialog(page).waitFor();
    expect(await page.locator('dialog[open]').count()).toBe(1);
    await enterToken(page, 'not-the-token');
    const problem = tokenDialog(page).getByRole('alert');
    expect(await problem.textContent()).toContain('The server did not accept that token (401)');
    expect(await tokenDialog(page).getByLabel('API token').inputValue()).toBe('');
    await enterToken(page, TOKEN);
    await tokenDialog(page).waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.getElementById('articles-status')?.textContent === '1 article indexed');

    // A question streams its answer; its quote gets context from the article text, fetched with the token.
    const turn = await askOnPage(page, QUESTION);
    expect(await turn.getAttribute('data-state')).toBe('done');
    expect(await turn.locator('.answer').textContent()).toContain('Belousov');
    const quote = turn.locator('.quote').first();
    expect((await quote.locator('blockquote').textContent())!.length).toBeGreaterThan((await quote.locator('mark').textContent())!.length);

    // Feedback on the kept answer goes through too.
    await turn.getByRole('button', { name: 'Good answer' }).click();
    await expect.poll(() => turn.locator('.keep-status').textContent()).toBe('Thanks: marked as a good answer.');

    // The kept answer's own page, in the same tab, reads it with the kept token and asks nothing.
    const answerId = (await turn.locator('.keep-actions').getAttribute('data-answer-id'))!;
    await page.goto(`${srv.url}/a/${answerId}`);
    await page.locator('#kept-answer').waitFor();
    expect(await page.locator('#kept-answer .question-text').textContent()).toBe(QUESTION);
    expect(await page.locator('dialog').count()).toBe(0);

    // After the token was entered every API call carried it; before, none carried a guess.
    const made = await calls();
    const firstWrong = made.findIndex((c) => c.auth === 'Bearer not-the-token');
    expect(made.slice(0, firstWrong).every((c) => c.auth === null)).toBe(true);
    const afterToken = made.slice(made.findIndex((c) => c.auth === `Bearer ${TOKEN}`));
    expect(afterToken.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
    const paths = new Set(afterToken.map((c) => c.path.replace(/\/(articles|answers)\/[^/]+/, '/$1/:id')));
    expect([...paths].sort()).toEqual(
      ['/api/answers/:id', '/api/answers/:id/feedback', '/api/articles', '/api/articles/:id', '/api/chat/stream', '/api/sources'].sort(),
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('keeps the token for the tab: a reload asks nothing, a new tab asks again', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(srv.url);
    await enterToken(page, TOKEN);
    await page.waitForFunction(() => document.getElementById('articles-status')?.textContent === '1 article indexed');
    expect(await page.evaluate(() => sessionStorage.getItem('archivist.token'))).toBe(TOKEN);
    expect(await page.evaluate(() => localStorage.getItem('archivist.token'))).toBeNull();

    await page.reload();
    await page.waitForFunction(() => document.getElementById('articles-status')?.textContent === '1 article indexed');
    expect(await page.locator('dialog').count()).toBe(0);

    const other = await openPage(browser);
    await other.page.goto(srv.url);
    await tokenDialog(other.page).waitFor();
    expect(problems).toEqual([]);
    await other.page.close();
    await page.close();
  });

  it('says what is wrong when the dialog is cancelled, and asks again at the next question', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(srv.url);
    await tokenDialog(page).waitFor();
    await tokenDialog(page).getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => /401/.test(document.getElementById('articles-status')?.textContent ?? ''));

    // Escape cancels too; the question's turn says a token is needed. (Earlier tests' turns are in localStorage.)
    const before = await turnCount(page);
    const box = page.locator('#question');
    await box.pressSequentially(QUESTION);
    await box.press('Enter');
    await tokenDialog(page).waitFor();
    await page.keyboard.press('Escape');
    const failed = await waitForTurn(page, before + 1);
    expect(await failed.getAttribute('data-state')).toBe('error');
    expect(await failed.locator('.error-text').textContent()).toContain('needs an API token');

    // The next question asks for it; once entered, the answer comes and the articles panel loads.
    await box.pressSequentially(QUESTION);
    await box.press('Enter');
    await enterToken(page, TOKEN);
    const turn = await waitForTurn(page, before + 2);
    expect(await turn.getAttribute('data-state')).toBe('done');
    await page.waitForFunction(() => document.getElementById('articles-status')?.textContent === '1 article indexed');
    expect(await page.locator('#articles-list > li').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });
});
