/**
 * Headless Chromium for the page tests and the screenshot script: the system browser (Debian's
 * `chromium` package; CHROMIUM_PATH overrides the path) driven by playwright-core, a fresh
 * profile each time. Test tools' own browser downloads cannot be installed here.
 */
import { rm } from 'node:fs/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './helpers.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with its own temporary profile (playwright wants the profile dir as an argument, not a flag). */
export async function launchBrowser(options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}) {
  const profile = await tempDir('archivist-chromium-');
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Number of turns in the conversation list. */
export const turnCount = (page: Page) => page.locator('#conversation > li.turn').count();

/** Resolves when the conversation has `n` turns and the last one has finished (done, error or stopped). */
export async function waitForTurn(page: Page, n: number, timeout = 30_000) {
  await page.waitForFunction(
    (want) => {
      const turns = document.querySelectorAll<HTMLElement>('#conversation > li.turn');
      return turns.length === want && ['done', 'error', 'stopped'].includes(turns[want - 1].dataset.state ?? '');
    },
    n,
    { timeout },
  );
  return page.locator('#conversation > li.turn').nth(n - 1);
}

/** Types a question the way a person does and sends it with Enter; resolves with the finished turn. */
export async function askOnPage(page: Page, question: string) {
  const before = await turnCount(page);
  const box = page.locator('#question');
  await box.click();
  await box.pressSequentially(question);
  await box.press('Enter');
  return waitForTurn(page, before + 1);
}
