import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium, headless, for the dashboard's end-to-end tests and benchmark. Playwright gives
 * each launch a fresh throwaway --user-data-dir. A missing browser fails with the command to type.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed (${CHROMIUM}); run:\n  apt-get install -y chromium`);
  const args = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/**
 * Opens the dashboard at `url` on `page` and signs in with the API key `key`; resolves once `until`
 * is on the page (by default the live link: the stream is up).
 */
export async function signInDashboard(page: Page, url: string, key: string, until = '.link-live'): Promise<Page> {
  await page.goto(url);
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector(until);
  return page;
}

/**
 * A page in a new browser context (its own cookies; 1366x800 unless `viewport` says otherwise),
 * signed in to the dashboard at `url` with `key`. Close it with `page.context().close()`.
 */
export async function signedInPage(browser: Browser, url: string, key: string, opts: { viewport?: { width: number; height: number }; timezoneId?: string } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: opts.viewport ?? { width: 1366, height: 800 }, ...(opts.timezoneId !== undefined ? { timezoneId: opts.timezoneId } : {}) });
  return signInDashboard(await ctx.newPage(), url, key);
}
