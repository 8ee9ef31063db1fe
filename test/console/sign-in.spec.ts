/** Journey 4: signing in and what a session may not do. */
import { randomUUID } from 'node:crypto';
import { expect, type Page } from '@playwright/test';
import { PASSWORD } from './seed';
import { checkPage, LANGUAGES, personPage, signIn, text, world, test } from './support';

/** ACCOUNT_LOCKOUT.failuresMax (domain/sign-in.ts): the next attempt, even with the right password, is refused. */
const FAILURES_BEFORE_LOCK = 5;

for (const language of LANGUAGES) {
  test(`sign-in (${language}): a wrong password is refused, repeated failures lock the account, logout ends the session`, async ({ browser }, testInfo) => {
    const seeded = world(`signIn-${language}`);
    const page = await personPage(browser, language);
    await page.goto('/app/sign-in');
    await expect(page.getByRole('heading', { name: text(language, 'signIn.title') })).toBeVisible();
    await checkPage(page, testInfo, `sign-in-${language}`);

    await signIn(page, language, seeded.seller, 'not the password at all');
    await expect(page.getByTestId('sign-in-refused')).toHaveText(text(language, 'signIn.invalidCredentials'));

    for (let attempt = 1; attempt <= FAILURES_BEFORE_LOCK; attempt++) {
      await signIn(page, language, seeded.sellerLockable, `wrong password ${attempt}`);
      await expect(page.getByTestId('sign-in-refused')).toBeVisible();
    }
    await signIn(page, language, seeded.sellerLockable, PASSWORD);
    await expect(page.getByTestId('sign-in-refused')).toHaveText(text(language, 'signIn.tooManyAttempts'));
    await expect(page).toHaveURL(/\/app\/sign-in$/);

    await signIn(page, language, seeded.seller);
    await expect(page.getByTestId('signed-in-as')).toContainText(seeded.sellerName);
    await expect(page).toHaveURL(/\/app\/lines$/);
    await checkPage(page, testInfo, `my-lines-${language}`);

    await page.getByRole('button', { name: text(language, 'shell.signOut') }).click();
    await expect(page).toHaveURL(/\/app\/sign-in$/);
    expect(await page.evaluate(async () => (await fetch('/auth/session')).status)).toBe(401);
    await page.goto('/app/lines');
    await expect(page).toHaveURL(/\/app\/sign-in$/);
  });

  test(`sign-in (${language}): a seller cannot open a lender's page or another seller's line, and a write without the CSRF token or from another site is refused`, async ({ browser }) => {
    const seeded = world(`signIn-${language}`);
    const page = await personPage(browser, language);
    await signIn(page, language, seeded.seller);
    await expect(page.getByTestId('signed-in-as')).toBeVisible();

    await page.goto('/app/portfolio');
    await expect(page.getByTestId('forbidden')).toContainText(text(language, 'forbidden.title'));
    await page.goto('/app/approvals');
    await expect(page.getByTestId('forbidden')).toContainText(text(language, 'forbidden.title'));
    await page.goto(`/app/lines/${seeded.otherSellerLineId}`);
    await expect(page.getByTestId('forbidden')).toContainText(text(language, 'forbidden.notYours'));
    // The API behind it refuses too: the page is not merely hidden.
    expect(await page.evaluate(async (lineId) => (await fetch(`/credit-lines/${lineId}`)).status, seeded.otherSellerLineId)).toBe(404);

    const drawsBefore = await page.evaluate(async (lineId) => ((await (await fetch(`/credit-lines/${lineId}/draws`)).json()) as { items: unknown[] }).items.length, seeded.lineId);
    // Same origin, the session cookie, but no X-CSRF-Token: refused.
    const withoutToken = await page.evaluate(
      async ({ lineId, key }) => {
        const response = await fetch(`/credit-lines/${lineId}/draws`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify({ amount: { amount: '100.00', currency: 'USD' } }),
        });
        return { status: response.status, code: ((await response.json()) as { code?: string }).code };
      },
      { lineId: seeded.lineId, key: randomUUID() },
    );
    expect(withoutToken).toEqual({ status: 403, code: 'csrf_failed' });

    // A page of another site cannot read the cookie, and the browser never sends it there: HttpOnly, SameSite=Strict.
    const [cookie] = (await page.context().cookies()).filter((candidate) => candidate.name === 'godown_session');
    expect([cookie.httpOnly, cookie.sameSite]).toEqual([true, 'Strict']);
    // A POST that carries the cookie from another site's page (as a lax browser would) is refused, even with the session's token.
    const csrfToken = await page.evaluate(async () => ((await (await fetch('/auth/session')).json()) as { csrfToken: string }).csrfToken);
    const attempts: Record<string, string>[] = [{ Origin: 'https://attacker.example' }, { Origin: 'https://attacker.example', 'X-CSRF-Token': csrfToken }];
    for (const headers of attempts) {
      const crossSite = await page.context().request.post(`/credit-lines/${seeded.lineId}/draws`, {
        headers: { ...headers, 'Idempotency-Key': randomUUID() },
        data: { amount: { amount: '100.00', currency: 'USD' } },
      });
      expect([crossSite.status(), ((await crossSite.json()) as { code: string }).code]).toEqual([403, 'csrf_failed']);
    }
    const drawsAfter = await page.evaluate(async (lineId) => ((await (await fetch(`/credit-lines/${lineId}/draws`)).json()) as { items: unknown[] }).items.length, seeded.lineId);
    expect(drawsAfter).toBe(drawsBefore);
  });
}

test('a reader who asked for reduced motion gets none: no zooming dialogs or animated buttons', async ({ browser }) => {
  const durationsOf = async (page: Page) => {
    await page.goto('/app/sign-in');
    const button = page.getByRole('button', { name: text('en', 'signIn.submit') });
    await expect(button).toBeVisible();
    const durations = await button.evaluate(
      (element) => (globalThis as unknown as { getComputedStyle(of: unknown): { transitionDuration: string } }).getComputedStyle(element).transitionDuration,
    );
    return durations.split(',').map((value: string) => value.trim());
  };
  // personPage asks for reduced motion, as every browser test does.
  const reduced = await durationsOf(await personPage(browser, 'en'));
  expect(new Set(reduced)).toEqual(new Set(['0s']));
  const moving = await browser.newContext({ reducedMotion: 'no-preference' });
  try {
    expect((await durationsOf(await moving.newPage())).some((value) => value !== '0s')).toBe(true);
  } finally {
    await moving.close();
  }
});
