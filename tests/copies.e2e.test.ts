/**
 * Syndicated copies end to end: the real model, index and HTTP server over a folder holding two
 * copies of one wire story (different boilerplate), a third copy that differs in one sentence,
 * and a different article on the same subject; then the page in a real browser (Chromium).
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askOnPage, launchBrowser } from './browser.js';
import { postJson, REPO, seedServer, tempDir } from './helpers.js';

const FIXTURES = join(REPO, 'eval/news/articles');
const FILES = ['2025-10-21-riverton-light-rail-harborledger.md', '2025-10-21-riverton-light-rail-valleycourier.md', '2025-10-30-riverton-light-rail-appeal.md'];

let folder: string;
let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  folder = await tempDir('archivist-copies-');
  await mkdir(folder, { recursive: true });
  for (const f of FILES) await cp(join(FIXTURES, f), join(folder, f));
  // A third outlet's copy with a corrected figure: it must never be folded into a quote of 412.
  const original = await readFile(join(FIXTURES, FILES[0]), 'utf8');
  await writeFile(
    join(folder, 'metro-copy.md'),
    original
      .replace('https://harborledger.example/news/2025/10/21/riverton-light-rail-extension', 'https://metrodaily.example/news/riverton-light-rail')
      .replace('412 million', '415 million'),
  );
  srv = await seedServer({ SEEDS_DIR: folder });
});
afterAll(async () => {
  await srv?.close();
  await rm(folder, { recursive: true, force: true });
});

describe('syndicated copies', () => {
  it('quotes the story once and lists the copy that says the same under the quote', async () => {
    const { status, json } = await postJson(`${srv.url}/api/chat`, { question: 'When is construction of the Riverton light rail extension due to begin?' });
    expect(status).toBe(200);
    expect(json.found).toBe(true);
    const outlets = json.quotes.map((q: any) => new URL(q.url).hostname);
    const copies = ['harborledger.example', 'valleycourier.example', 'metrodaily.example'];
    // One quote per story: however many quotes, they come from one copy of the wire story.
    expect(new Set(outlets.filter((o: string) => copies.includes(o))).size).toBe(1);
    const listed = json.quotes.flatMap((q: any) => q.alsoReportedBy ?? []).map((a: any) => a.source);
    expect(listed.length).toBeGreaterThanOrEqual(1);
    expect(listed.every((s: string) => copies.includes(s) && !outlets.includes(s))).toBe(true);
  });

  it('never lists a copy whose version of the quoted sentence differs', async () => {
    const { json } = await postJson(`${srv.url}/api/chat`, { question: 'How much will the Riverton light rail extension cost?' });
    // The answer is the 412 million figure, and the copy that says it is listed under it: without
    // both, the checks below would pass over nothing.
    const cost = json.quotes.filter((q: any) => q.text.includes('412'));
    expect(cost.length).toBeGreaterThanOrEqual(1);
    expect(cost.flatMap((q: any) => q.alsoReportedBy ?? []).length).toBeGreaterThanOrEqual(1);
    for (const q of json.quotes) {
      const article = (await srv.archive.store.getArticle(q.articleId))!;
      for (const also of q.alsoReportedBy ?? []) {
        const other = (await srv.archive.store.getArticle(also.articleId))!;
        expect(other.text.includes(q.text)).toBe(true);
        expect(other.cluster ?? other.id).toBe(article.cluster ?? article.id);
      }
    }
    // The metro copy says 415 million: it is never listed as saying 412.
    for (const q of cost) expect((q.alsoReportedBy ?? []).map((a: any) => a.source)).not.toContain('metrodaily.example');
  });

  it('shows "Also reported by" with a link under the quote on the page', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(srv.url);
      const turn = await askOnPage(page, 'When is construction of the Riverton light rail extension due to begin?');
      const also = turn.locator('.quote-also').first();
      await expect(also.textContent()).resolves.toMatch(/^Also reported by .+\((harborledger|valleycourier|metrodaily)\.example\)/);
      expect(await also.locator('a').first().getAttribute('href')).toMatch(/^https:\/\/(harborledger|valleycourier|metrodaily)\.example\//);
    } finally {
      await browser.close();
    }
  });
});
