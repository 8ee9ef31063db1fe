/**
 * A line over its life, in the browser (issue #16's screens): the lender amends the terms (a maturity
 * moved to today), a second lender user approves, the seller accepts what worsens its terms; the line
 * has then matured — no draws, everything owed due — on the seller's and the lender's pages and in the
 * lender's days-past-due table; a renewal lifts it. The lender registers a reference rate and posts a
 * fixing. Every figure is the server's.
 */
import { expect, type Page } from '@playwright/test';
import { checkPage, LANGUAGES, signedIn, text, usd, world, type Language, test } from './support';

const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

async function openTerms(page: Page, language: Language, lineId: string) {
  await page.goto(`/app/lines/${lineId}`);
  await expect(page.getByTestId('line-title')).toBeVisible();
  await page.getByRole('tab', { name: text(language, 'line.tab.terms') }).click();
  await expect(page.getByTestId('terms-versions')).toBeVisible();
}

async function proposeMaturity(page: Page, language: Language, maturityDate: string) {
  const form = page.getByTestId('propose-amendment');
  await form.getByLabel(text(language, 'terms.maturity'), { exact: true }).fill(maturityDate);
  await form.getByRole('button', { name: text(language, 'amend.submit') }).click();
}

for (const language of LANGUAGES) {
  test(`line life (${language}): an amendment approved and accepted matures the line, the days-past-due table shows it, a renewal lifts it; a reference rate gets a fixing`, async ({ browser }, testInfo) => {
    // Three people, two amendments, a reference rate and four axe checks: longer than one page's journey.
    test.setTimeout(300_000);
    const seeded = world(`lineLife-${language}`);

    // The lender's ADMIN proposes maturity today: earlier, so worse for the seller.
    const lender = await signedIn(browser, language, seeded.lender);
    await openTerms(lender, language, seeded.lineId);
    await proposeMaturity(lender, language, today());
    await expect(lender.getByTestId('version-2-status')).toHaveText(text(language, 'amendment.PENDING_APPROVAL'));
    // Its proposer cannot approve it; it names what worsens.
    await expect(lender.getByTestId('version-2-approve')).toHaveCount(0);
    await expect(lender.getByTestId('terms-versions')).toContainText(text(language, 'termField.maturityDate'));
    await checkPage(lender, testInfo, `terms-${language}`);

    const approver = await signedIn(browser, language, seeded.approverA);
    await openTerms(approver, language, seeded.lineId);
    await approver.getByTestId('version-2-approve').click();
    await expect(approver.getByTestId('version-2-status')).toHaveText(text(language, 'amendment.PENDING_ACCEPTANCE'));

    const seller = await signedIn(browser, language, seeded.seller);
    await openTerms(seller, language, seeded.lineId);
    await seller.getByTestId('version-2-accept').click();
    await expect(seller.getByTestId('version-2-status')).toHaveText(text(language, 'amendment.AGREED'));
    // The seller's line: matured, nothing to draw, and why.
    await seller.reload();
    await expect(seller.getByTestId('no-availability-reason')).toHaveText(text(language, 'noAvailability.MATURED'));
    await expect(seller.getByTestId('delinquency-notice')).toBeVisible();
    await expect(seller.getByTestId('delinquency-amount-due')).toHaveText(usd('0.00'));
    await checkPage(seller, testInfo, `line-matured-${language}`);

    // The lender's portfolio: one line in force, current (matured today, nothing past due yet).
    await lender.goto('/app/portfolio');
    const buckets = lender.getByTestId('dpd-buckets');
    // Its two lines in force (this seller's and the other seller's) are both current.
    await expect(buckets.getByRole('row', { name: text(language, 'bucket.CURRENT') }).getByRole('cell').nth(1)).toHaveText('2');
    await checkPage(lender, testInfo, `portfolio-${language}`);

    // A renewal: a later maturity is better for the seller, agreed on approval; draws are open again.
    await openTerms(lender, language, seeded.lineId);
    await proposeMaturity(lender, language, inDays(180));
    await expect(lender.getByTestId('version-3-status')).toHaveText(text(language, 'amendment.PENDING_APPROVAL'));
    await openTerms(approver, language, seeded.lineId);
    await approver.getByTestId('version-3-approve').click();
    await expect(approver.getByTestId('version-3-status')).toHaveText(text(language, 'amendment.AGREED'));
    await seller.reload();
    await expect(seller.getByTestId('delinquency-amount-due')).toHaveText(text(language, 'delinquency.notDueYet'));
    // Nothing is pledged to this line yet, so still nothing to draw — no longer because it matured, and
    // not because it is drawn: there is no borrowing base.
    await expect(seller.getByTestId('no-availability-reason')).toHaveText(text(language, 'noAvailability.NO_BORROWING_BASE'));

    // Reference rates: register one, post a fixing, read it back as a percentage.
    await lender.goto('/app/reference-rates');
    const register = lender.getByTestId('register-rate');
    const code = `SOFR${language.toUpperCase()}`;
    await register.getByLabel(text(language, 'rates.code'), { exact: true }).fill(code);
    await register.getByLabel(text(language, 'rates.name'), { exact: true }).fill('Secured Overnight Financing Rate');
    await register.getByLabel(text(language, 'rates.maxFixingAgeDays'), { exact: true }).fill('4');
    await register.getByRole('button', { name: text(language, 'rates.submit') }).click();
    const fixings = lender.getByTestId(`fixings-${code}`);
    await expect(fixings).toBeVisible();
    await fixings.getByLabel(text(language, 'rates.rate'), { exact: true }).fill('0.0431');
    await fixings.getByRole('button', { name: text(language, 'rates.postFixing') }).click();
    await expect(lender.getByTestId(`fixings-table-${code}`)).toContainText('4.31');
    await checkPage(lender, testInfo, `reference-rates-${language}`);
  });
}
