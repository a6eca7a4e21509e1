/**
 * Screenshots of the chat page for the README: the seed archive served on a free port, a
 * question and a follow-up asked in headless Chromium, captured at 1280×800 and 360×800.
 *
 *   npm run screenshots            # writes docs/screenshot-desktop.png and docs/screenshot-mobile.png
 *   npm run screenshots -- --dark  # the same in the dark colour scheme, *-dark.png
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { askOnPage, launchBrowser, waitForTurn } from '../tests/browser.js';
import { REPO, seedServer } from '../tests/helpers.js';
import { benchArgs } from './args.js';

const { dark } = benchArgs(process.argv.slice(2), { dark: { type: 'boolean', default: false } }).values;
const suffix = dark ? '-dark' : '';
const out = join(REPO, 'docs');

const srv = await seedServer();
const browser = await launchBrowser({ viewport: { width: 1280, height: 800 }, colorScheme: dark ? 'dark' : 'light' });
try {
  await mkdir(out, { recursive: true });
  const page = await browser.context.newPage();
  await page.goto(srv.url);
  await page.waitForFunction(() => document.getElementById('articles-count')?.textContent !== '');
  await askOnPage(page, 'Who is the Russian defense minister who visited Beijing?');
  await askOnPage(page, 'When did he arrive?');
  await page.locator('#question').blur();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, `screenshot-desktop${suffix}.png`) });

  await page.setViewportSize({ width: 360, height: 800 });
  await page.reload();
  await waitForTurn(page, 2);
  // A phone screen scrolled to the first answer: short answer, answer text and the quote below.
  await page.evaluate(() => {
    document.querySelector('#conversation > li.turn')?.scrollIntoView({ block: 'start' });
    window.scrollBy(0, -76);
  });
  await page.screenshot({ path: join(out, `screenshot-mobile${suffix}.png`) });
  console.log(`wrote docs/screenshot-desktop${suffix}.png and docs/screenshot-mobile${suffix}.png`);
} finally {
  await browser.close();
  await srv.close();
}
