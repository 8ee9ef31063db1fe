import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { en, type MessageKey } from '../../console/src/i18n/en';
import { zhCN } from '../../console/src/i18n/zh-CN';
import { PASSWORD, type Person, type World, type Worlds } from './seed';

export type Language = 'en' | 'zh';
export const LANGUAGES: Language[] = ['en', 'zh'];
const LOCALE_OF: Record<Language, string> = { en: 'en-US', zh: 'zh-CN' };

/** The catalogue text of `key` in `language`, with `{name}` values filled in as the console does. */
export function text(language: Language, key: MessageKey, values: Record<string, string | number> = {}): string {
  const catalogue = language === 'en' ? en : zhCN;
  return catalogue[key].replace(/\{(\w+)\}/g, (whole: string, name: string) => (name in values ? String(values[name]) : whole));
}

export function world(name: string): World {
  const worlds = JSON.parse(readFileSync(process.env.GODOWN_CONSOLE_WORLD!, 'utf8')) as Worlds;
  const found = worlds[name];
  if (!found) throw new Error(`no seeded world "${name}"; seeded: ${Object.keys(worlds).join(', ')}`);
  return found;
}

/** The people's browser contexts the running test opened: each test closes its own when it ends. */
const openContexts = new Set<BrowserContext>();

/**
 * Playwright's `test`, with every person's browser context closed when the test ends (after a failed
 * test's screenshots are taken): pages left open by earlier tests would keep polling the app and
 * loading the one browser that all tests of the worker share.
 */
export const test = base.extend<{ closePeople: void }>({
  closePeople: [
    // No dependencies: Playwright reads a fixture's dependencies from this (empty) pattern.
    async ({}, use) => {
      await use();
      const contexts = [...openContexts];
      openContexts.clear();
      await Promise.all(contexts.map((context) => context.close()));
    },
    { auto: true },
  ],
});

/** A browser context of its own (its own cookies), reading the console in `language`. */
export async function personPage(browser: Browser, language: Language, viewport = { width: 1280, height: 800 }): Promise<Page> {
  // Reduced motion, as a reader may ask: dialogs open at once, so a click never lands on a button still zooming in
  // (on a loaded machine one did, on the dialog beside the button, and nothing was sent).
  const context = await browser.newContext({ viewport, locale: LOCALE_OF[language], reducedMotion: 'reduce' });
  openContexts.add(context);
  await context.addInitScript(
    (locale) => (globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } }).localStorage.setItem('godown.locale', locale),
    LOCALE_OF[language],
  );
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  (page as Page & { cspViolations?: string[] }).cspViolations = violations;
  return page;
}

export async function signIn(page: Page, language: Language, person: Person, password = PASSWORD): Promise<void> {
  await page.goto('/app/sign-in');
  await page.getByLabel(text(language, 'signIn.email')).fill(person.email);
  await page.getByLabel(text(language, 'signIn.password'), { exact: true }).fill(password);
  await page.getByRole('button', { name: text(language, 'signIn.submit') }).click();
}

export async function signedIn(browser: Browser, language: Language, person: Person, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await personPage(browser, language, viewport);
  await signIn(page, language, person);
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  return page;
}

/**
 * A main page as its reader sees it: a screenshot in the test's output folder, no serious or
 * critical axe-core violation, and nothing refused by the Content-Security-Policy.
 */
export async function checkPage(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  // @axe-core/playwright is typed against its own copy of playwright-core: the same Page at run time.
  const results = await new AxeBuilder({ page: page as never }).analyze();
  const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(serious.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`), `axe on ${name}`).toEqual([]);
  expect((page as Page & { cspViolations?: string[] }).cspViolations ?? [], `CSP on ${name}`).toEqual([]);
}

/**
 * Picks `option` in the Ant Design select labelled `label`: the option whose whole text is `option`
 * (a substring would also match, say, "Apples …" for grade "A" in a list still closing), or that
 * matches the pattern.
 */
export async function choose(page: Page, label: string, option: string | RegExp): Promise<void> {
  await page.getByLabel(label, { exact: true }).click();
  const pattern = typeof option === 'string' ? new RegExp(`^${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : option;
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: pattern }).click();
}

/**
 * The warehouse's Receive form filled for the world's seller, site, Cold room 1 and grade A of the
 * world's commodity, and sent: `quantity` kg under `receipt`.
 */
export async function receiveGoods(page: Page, language: Language, seeded: World, quantity: string, receipt: string): Promise<void> {
  await page.goto('/app/receive');
  await choose(page, text(language, 'receive.seller'), seeded.sellerName);
  await choose(page, text(language, 'receive.warehouse'), `Cold store ${seeded.label} north`);
  await choose(page, text(language, 'receive.location'), 'Cold room 1');
  await choose(page, text(language, 'receive.commodity'), `Apples ${seeded.label} (${seeded.commodityCode})`);
  await choose(page, text(language, 'receive.grade'), 'A');
  await page.getByLabel(text(language, 'receive.quantityIn', { unit: 'kg' }), { exact: true }).fill(quantity);
  await page.getByLabel(text(language, 'receive.receiptNumber'), { exact: true }).fill(receipt);
  await page.getByRole('button', { name: text(language, 'receive.submit') }).click();
}

/** A USD amount as the console writes it in both languages (checked by hand in test/console/format.test.ts): `USD 12,500.00`. */
export function usd(grouped: string): string {
  return `USD ${grouped}`;
}
