/**
 * How the page presents what it read, in a real browser (Debian's Chromium) against the real
 * server and model: an answered turn lists only the articles it quotes, the context around a
 * quote leaves out the lines ingest marked as furniture, and a follow-up's answer is scrolled
 * clear of the sticky composer.
 */
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askOnPage, launchBrowser } from './browser.js';
import { REPO, seedServer, tempDir } from './helpers.js';

// The answer sits between a photo credit and a "Related article" link, as in many real pages.
const BRIDGE = `---
title: Calderra harbour bridge reopens after repairs
url: https://harborledger.example/news/calderra-bridge-reopens
date: 2025-03-04
---
The Calderra harbour bridge reopened to traffic on Monday after eight months of repairs to its steel deck.

Photo: Jonas Keel/Harbor Ledger

The repairs cost 38 million euros, the city's transport office said on Monday.

Related article: [Ferry timetable changes for the spring](#)

Traffic across the bridge returned to normal by the evening rush hour, and the detour through the old town was lifted.
`;
// Other stories of the same coast, so the search reads passages of articles the answer does not use.
const OTHERS = ['2025-10-01-ferry-fares-rise.md', '2025-10-02-fishing-accord.md', '2025-10-03-glenrock-wildfire-contained.md'];

let folder: string;
let srv: Awaited<ReturnType<typeof seedServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  folder = await tempDir('archivist-reading-');
  await writeFile(join(folder, 'bridge.md'), BRIDGE);
  for (const f of OTHERS) await cp(join(REPO, 'eval/news/articles', f), join(folder, f));
  srv = await seedServer({ SEEDS_DIR: folder });
  // A short window, so two answered turns are taller than the space between header and composer.
  browser = await launchBrowser({ viewport: { width: 900, height: 520 } });
  page = await browser.context.newPage();
  await page.goto(srv.url);
});
afterAll(async () => {
  await browser?.close();
  await srv?.close();
  await rm(folder, { recursive: true, force: true });
});

describe('what the page shows of what it read', () => {
  it('lists only the quoted articles under an answer, and counts what else was read', async () => {
    const turn = await askOnPage(page, 'How much did the repairs of the Calderra harbour bridge cost?');
    expect(await turn.locator('.quote mark', { hasText: '38 million euros' }).count()).toBe(1);
    const heading = (await turn.locator('.sources-title').textContent())!;
    // More than one article was read: the check below would otherwise pass over nothing.
    expect(heading).toMatch(/^Quoted from 1 article · read \d+ passages? from [2-9] articles$/);
    const listed = await turn.locator('.sources .source-title').allTextContents();
    expect(listed).toEqual(['Calderra harbour bridge reopens after repairs']);
  });

  it('shows the text around a quote without the photo credit and the link line ingest marked', async () => {
    const quote = page
      .locator('#conversation > li.turn')
      .first()
      .locator('.quote', { has: page.locator('mark', { hasText: '38 million euros' }) });
    const context = (await quote.locator('blockquote').textContent())!;
    expect(context).toContain('reopened to traffic on Monday');
    expect(context).toContain('returned to normal');
    expect(context).not.toContain('Photo:');
    expect(context).not.toContain('Related article');
  });

  it("brings a follow-up's answer into view above the composer", async () => {
    const turn = await askOnPage(page, 'When did the bridge reopen?');
    await page.waitForFunction(() => {
      const turns = document.querySelectorAll('#conversation > li.turn');
      const answer = turns[turns.length - 1]?.querySelector('.answer');
      return !!answer && answer.getBoundingClientRect().height > 0;
    });
    // Smooth scrolling is off (reduced motion), so the position is final once the turn is done.
    const box = await turn.locator('.answer').evaluate((answer) => {
      const header = document.querySelector('header')!.getBoundingClientRect();
      const composer = document.querySelector('.composer')!.getBoundingClientRect();
      return { top: answer.getBoundingClientRect().top, headerBottom: header.bottom, composerTop: composer.top };
    });
    expect(box.top).toBeGreaterThanOrEqual(box.headerBottom - 1);
    expect(box.top).toBeLessThan(box.composerTop - 20);
  });
});
