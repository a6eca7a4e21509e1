/**
 * The chat page in a real browser (Debian's Chromium through playwright-core) against the real
 * server on a free loopback port: typing, streaming, quotes, follow-ups, reload, not-found,
 * keyboard use, small screens, CSP, and article text that looks like HTML.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive } from '../src/boot.js';
import { createApp } from '../src/server/app.js';
import { askOnPage, launchBrowser, waitForTurn } from './browser.js';
import { listen, quiet, SEEDS, seedServer, tempDir, testConfig } from './helpers.js';

const QUESTION = 'Who is the Russian defense minister who visited Beijing?';
const ARTICLE_URL =
  'https://www.themoscowtimes.com/2024/10/14/moscow-and-beijing-pledge-to-strengthen-military-ties-as-russian-defense-minister-visits-china-a86677';

/** Everything the page must not do: dialogs, console errors, uncaught errors, CSP violations. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on('dialog', async (d) => {
    problems.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Collects CSP violations reported by the page itself (an init script is not subject to the CSP). */
const CSP_LISTENER = () => {
  const w = window as unknown as { cspViolations: string[] };
  w.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
};
const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

/** Records each turn state the page shows and how many pieces the streaming answer received. */
const RECORDER = () => {
  const w = window as unknown as { seen: { state: string; sources: number; status: string }[]; streamedPieces: number };
  w.seen = [];
  w.streamedPieces = 0;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target instanceof HTMLElement && r.target.classList.contains('streaming')) w.streamedPieces += r.addedNodes.length;
      for (const n of Array.from(r.addedNodes)) {
        if (n instanceof HTMLElement && n.matches('li.turn')) {
          w.seen.push({ state: n.dataset.state ?? '', sources: n.querySelectorAll('.source').length, status: n.querySelector('.status')?.textContent ?? '' });
        }
      }
    }
  }).observe(document.getElementById('conversation')!, { childList: true, subtree: true });
};

describe('the chat page on the seed archive', () => {
  let srv: Awaited<ReturnType<typeof seedServer>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let problems: string[];
  const bodies: any[] = [];
  const sentTokens: Promise<string | null>[] = [];

  beforeAll(async () => {
    srv = await seedServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    problems = watch(page);
    page.on('request', (r) => {
      if (r.url().endsWith('/api/chat/stream')) bodies.push(r.postDataJSON());
      if (new URL(r.url()).pathname.startsWith('/api/')) sentTokens.push(r.headerValue('authorization'));
    });
    await page.addInitScript(CSP_LISTENER);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });
  // Each test, not a last one reading what earlier tests left: no dialogs, console errors or CSP violations.
  afterEach(async () => {
    expect(await cspViolations(page)).toEqual([]);
    expect(problems.splice(0)).toEqual([]);
  });

  it('is served with a Content-Security-Policy that forbids inline script and other origins', async () => {
    const res = await page.goto(srv.url);
    const csp = (await res!.allHeaders())['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.locator('label[for="question"]').count()).toBe(1);
    expect(await page.getAttribute('#conversation', 'aria-live')).toBe('polite');
  });

  it('lists the indexed articles in the articles panel, with title, link and passage count', async () => {
    await page.waitForFunction(() => document.getElementById('articles-count')?.textContent === '(1)');
    expect(await page.textContent('#articles-status')).toBe('1 article indexed');
    const item = page.locator('#articles-list > li.article');
    expect(await item.count()).toBe(1);
    expect(await item.locator('a.article-title').textContent()).toContain('Moscow and Beijing Pledge');
    expect(await item.locator('a.article-title').getAttribute('href')).toBe(ARTICLE_URL);
    expect(await item.locator('.article-meta').textContent()).toMatch(/\d+ passages?$/);
    expect(await page.isHidden('#articles-more')).toBe(true);
    // Without API_TOKEN the page asks for no token and sends none.
    expect(await page.locator('dialog').count()).toBe(0);
    expect(await Promise.all(sentTokens)).toEqual(sentTokens.map(() => null));
  });

  it('answers a typed question: a waiting state, the sources, the streamed answer, then linked quotes', async () => {
    await page.evaluate(RECORDER);
    const turn = await askOnPage(page, QUESTION);
    expect(await turn.getAttribute('data-state')).toBe('done');
    expect(bodies.at(-1)).toEqual({ question: QUESTION });

    // What the person saw, in order: searching (with a status), sources, then the answer streaming.
    const seen = await page.evaluate(() => (window as any).seen as { state: string; sources: number; status: string }[]);
    const states = seen.map((s) => s.state);
    expect(states[0]).toBe('searching');
    expect(seen[0].status).toContain('Searching');
    const answering = seen.find((s) => s.state === 'answering');
    expect(answering?.sources).toBeGreaterThan(0);
    expect(states.indexOf('answering')).toBeLessThan(states.indexOf('done'));
    expect(await page.evaluate(() => (window as any).streamedPieces)).toBeGreaterThan(3);

    // The short answer leads; the answer text has [n] links to quotes.
    const short = (await turn.locator('.short-answer').textContent())!;
    expect(short.length).toBeGreaterThan(0);
    expect((await turn.locator('.answer').textContent())!.startsWith(short)).toBe(true);
    expect(await turn.locator('.answer').textContent()).toContain('Belousov');
    const ref = turn.locator('a.ref').first();
    expect(await ref.textContent()).toBe('[1]');
    const target = (await ref.getAttribute('href'))!.slice(1);
    expect(await turn.locator(`[id="${target}"] mark`).count()).toBe(1);
    const quote = turn.locator('.quote', { has: page.locator('mark', { hasText: 'Belousov' }) }).first();
    expect(await quote.count()).toBe(1);

    // The quote sits in its surrounding text, with the article's title, date and link.
    const context = (await quote.locator('blockquote').textContent())!;
    const marked = (await quote.locator('mark').textContent())!;
    expect(context.length).toBeGreaterThan(marked.length);
    const link = quote.locator('a.quote-title');
    expect(await link.getAttribute('href')).toBe(ARTICLE_URL);
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.textContent()).toContain('Moscow and Beijing Pledge');
    expect(await quote.locator('time').getAttribute('datetime')).toBe('2024-10-14');

    // Following a [n] link moves focus to its quote.
    await ref.click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(target);
  });

  it('sends the earlier turns as history for a follow-up and shows what it searched for', async () => {
    const turn = await askOnPage(page, 'When did he arrive?');
    const body = bodies.at(-1);
    expect(body.question).toBe('When did he arrive?');
    expect(body.history).toHaveLength(2);
    expect(body.history[0]).toEqual({ role: 'user', content: QUESTION });
    expect(body.history[1].role).toBe('assistant');
    expect(body.history[1].content).toContain('Belousov');
    expect(await turn.locator('.query').textContent()).toContain('Belousov');
    expect(await turn.locator('.answer').textContent()).toContain('Monday');
  });

  it('keeps the conversation across a reload', async () => {
    const shown = await page.locator('#conversation > li.turn').nth(1).locator('.reply').textContent();
    await page.reload();
    const second = await waitForTurn(page, 2);
    expect(await second.locator('.reply').textContent()).toBe(shown);
    const first = page.locator('#conversation > li.turn').first();
    expect(await first.locator('.question-text').textContent()).toBe(QUESTION);
    expect(await first.locator('.quote mark').first().textContent()).toContain('Belousov');
    expect(await first.locator('a.quote-title').first().getAttribute('href')).toBe(ARTICLE_URL);
    // And a follow-up after the reload still carries the history.
    await askOnPage(page, 'Who did he meet?');
    expect(bodies.at(-1).history).toHaveLength(4);
  });

  it('starts afresh with "New conversation", and that survives a reload too', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await expect.poll(() => page.locator('#conversation > li').count()).toBe(0);
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('question');
    await page.reload();
    await page.waitForSelector('#empty', { state: 'visible' });
    expect(await page.locator('#conversation > li').count()).toBe(0);
    await askOnPage(page, 'Who did Belousov meet in Beijing?');
    expect(bodies.at(-1)).toEqual({ question: 'Who did Belousov meet in Beijing?' });
  });

  it('makes a "not found" answer look different from an answer', async () => {
    const turn = await askOnPage(page, 'What is the capital of France?');
    expect(await turn.locator('.reply').getAttribute('class')).toContain('not-found');
    expect(await turn.locator('.badge').textContent()).toBe('Not found in the articles');
    expect(await turn.locator('.quote').count()).toBe(0);
    const answered = page.locator('#conversation > li.turn').first().locator('.reply');
    const bg = (l: typeof answered) => l.evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await bg(turn.locator('.reply'))).not.toBe(await bg(answered));
  });

  it('works from the keyboard: Shift+Enter is a new line, Enter sends, focus is visible', async () => {
    const box = page.locator('#question');
    await box.focus();
    await box.pressSequentially('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    expect(await box.inputValue()).toBe('first line\nsecond line');
    const turns = await page.locator('#conversation > li.turn').count();
    await box.fill('');
    // Tab from the question box reaches the Ask button, which shows a focus ring.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('send');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    expect(await page.locator('#conversation > li.turn').count()).toBe(turns);
  });

  it('fits a 360 px wide screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await askOnPage(page, QUESTION);
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll).toBeLessThanOrEqual(client);
    const box = await page.locator('#question').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('follows the system colour scheme', async () => {
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    await page.emulateMedia({ colorScheme: 'light' });
    expect(dark).not.toBe(light);
  });

  it('shows which dates it searched when the question names a time', async () => {
    const turn = await askOnPage(page, 'Who visited Beijing in October 2024?');
    expect(bodies.at(-1).question).toBe('Who visited Beijing in October 2024?');
    expect(await turn.locator('.time-frame').textContent()).toBe('searched articles from 1–31 Oct 2024');
    expect(await turn.locator('.answer').textContent()).toContain('Belousov');
  });
});

describe('the chat page with article text that looks like HTML', () => {
  const HOSTILE = `Harbour Festival <img src=x onerror=alert(1)> Draws Record Crowds
2024-10-20

The Valletta harbour festival drew a record 80,000 visitors this year, organisers said on Sunday. A prankster's banner reading <script>alert(1)</script> and <img src=x onerror=alert(1)> hung over the main stage for an hour.

The festival's fireworks display over the Grand Harbour closed the weekend.

Original url:
https://example.org/2024/10/20/harbour-festival
`;
  let dirs: string[] = [];
  let http: Awaited<ReturnType<typeof listen>>;
  let archive: Awaited<ReturnType<typeof bootArchive>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    const seeds = await tempDir('archivist-seeds-');
    const index = await tempDir();
    dirs = [seeds, index];
    await cp(SEEDS, seeds, { recursive: true });
    await writeFile(join(seeds, 'harbour-festival.txt'), HOSTILE);
    const config = testConfig(index, { SEEDS_DIR: seeds });
    archive = await bootArchive(config, quiet);
    http = await listen(createApp({ archive, config, logger: quiet }));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await archive?.store.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('shows the markup as literal text and runs none of it', async () => {
    const page = await browser.context.newPage();
    const problems = watch(page);
    await page.addInitScript(CSP_LISTENER);
    await page.goto(http.url);
    const turn = await askOnPage(page, 'How many visitors came to the Valletta harbour festival? <img src=x onerror=alert(1)>');
    expect(await turn.getAttribute('data-state')).toBe('done');

    expect(await turn.locator('.question-text').textContent()).toContain('<img src=x onerror=alert(1)>');
    const quote = turn.locator('.quote').first();
    expect(await quote.locator('mark').textContent()).toContain('80,000 visitors');
    const context = await quote.locator('blockquote').textContent();
    expect(context).toContain('<script>alert(1)</script>');
    expect(context).toContain('<img src=x onerror=alert(1)>');
    expect(await quote.locator('a.quote-title').textContent()).toBe('Harbour Festival <img src=x onerror=alert(1)> Draws Record Crowds');
    expect(await turn.locator('.source-title').first().textContent()).toContain('<img src=x onerror=alert(1)>');

    // None of it became elements.
    expect(await page.locator('#conversation img, #conversation script').count()).toBe(0);
    expect(await page.locator('#articles-list img, #articles-list script').count()).toBe(0);

    // After a reload the stored conversation is rendered as text too.
    await page.reload();
    const again = await waitForTurn(page, 1);
    expect(await again.locator('blockquote').first().textContent()).toContain('<script>alert(1)</script>');
    expect(await page.locator('#conversation img, #conversation script').count()).toBe(0);

    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('serves the page files that the CSP allows, with no inline script or style in the HTML', async () => {
    const html = await readFile(new URL('../src/web/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//i);
  });
});
