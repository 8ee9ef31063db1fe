/**
 * The console's budget, measured on this machine and printed in the test run: the JavaScript the
 * first page needs (gzipped, from the build output) and the time until the sign-in page can be used.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from '@playwright/test';
import { personPage, text, test } from './support';

const BUILD = path.resolve(__dirname, '../../dist/console');
/** Limits the figures must stay under (a regression fails the run); the README gives the measured figures. */
const INITIAL_JS_GZIP_KB_MAX = 450;
/** Measured at 1–4 s on this shared 2-core machine, depending on what else runs; above 10 s something regressed. */
const FIRST_USABLE_MS_MAX = 10_000;

/** The scripts index.html loads before anything else: its module entry and what it preloads. */
function initialScripts(): string[] {
  const html = readFileSync(path.join(BUILD, 'index.html'), 'utf8');
  return [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((match) => match[1]);
}

test('budget: initial JavaScript (gzipped) and time to a usable sign-in page', async ({ browser }) => {
  const scripts = initialScripts();
  expect(scripts.length).toBeGreaterThan(0);
  const gzipBytes = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(path.join(BUILD, src))).length, 0);
  const initialJsGzipKb = Math.round((gzipBytes / 1024) * 10) / 10;

  const page = await personPage(browser, 'en');
  // A cold page: no cache, as a first visit.
  await page.goto('/app/sign-in', { waitUntil: 'commit' });
  await page.getByLabel(text('en', 'signIn.email')).waitFor({ state: 'visible' });
  await expect(page.getByRole('button', { name: text('en', 'signIn.submit') })).toBeEnabled();
  const firstUsableMs = Math.round(await page.evaluate(() => performance.now()));

  const budget = { initialJsGzipKb, firstUsableMs, scripts };
  writeFileSync(path.resolve(__dirname, '../../.console-budget.json'), JSON.stringify(budget));
  console.log(`console budget: initial JavaScript ${initialJsGzipKb} kB gzipped (${scripts.join(', ')}); sign-in page usable after ${firstUsableMs} ms`);
  expect(initialJsGzipKb).toBeLessThanOrEqual(INITIAL_JS_GZIP_KB_MAX);
  expect(firstUsableMs).toBeLessThanOrEqual(FIRST_USABLE_MS_MAX);
});
