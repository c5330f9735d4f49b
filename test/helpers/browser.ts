/**
 * Debian's Chromium driven by playwright-core for the web channel's browser tests (no browser
 * download: `.ci/run` installs the `chromium` package). Screenshots go to `test-artifacts/`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Why browser tests cannot run here, if they cannot. */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`;
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (cookies, storage) with a phone-sized or desktop viewport. */
  context(options?: { locale?: string; phone?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // launch() gives every run a fresh temporary profile of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    browser,
    async context(options = {}) {
      const locale = options.locale ?? 'en-US';
      return browser.newContext({
        locale,
        // Also makes screenshots deterministic: the chat scrolls without animation then.
        reducedMotion: 'reduce',
        extraHTTPHeaders: { 'Accept-Language': locale },
        ...(options.phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 860 } }),
      });
    },
    async close() {
      await browser.close();
    },
  };
}

/**
 * Saves a PNG as `test-artifacts/<name>.png` and returns its path: the whole page, or only the
 * viewport (pages with sticky header and composer, like the chat, look as a person sees them).
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/**
 * Controls and images a person cannot identify without sight: buttons, fields and links with no
 * accessible name, images without an `alt` attribute. Returns a description of each.
 */
export async function unlabelled(page: Page): Promise<string[]> {
  // A string, because this runs in the page (the project compiles without DOM types).
  return page.evaluate<string[]>(`(() => {
    const problems = [];
    const named = (element) => {
      const labelled = element.getAttribute('aria-label') || element.getAttribute('aria-labelledby') || element.getAttribute('title');
      return Boolean(labelled && labelled.trim()) || (element.labels && element.labels.length > 0) || (element.textContent || '').trim() !== '';
    };
    for (const element of document.querySelectorAll('button, a[href], select, textarea, input:not([type="file"]):not([type="hidden"])')) {
      if (!named(element)) problems.push(element.outerHTML.slice(0, 120));
    }
    for (const image of document.querySelectorAll('img')) {
      if (!image.hasAttribute('alt')) problems.push(image.outerHTML.slice(0, 120));
    }
    return problems;
  })()`);
}
