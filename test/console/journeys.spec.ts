/**
 * The three money journeys of issue #15, each by the people who do them, in their own browsers and
 * in both languages. Every figure asserted is the server's, computed here by hand from the world's
 * terms (test/console/seed.ts): grade A marked at 3.125 USD/kg, haircut 20 %, advance rate 50 %, so
 * 10 000 kg is worth 25 000.00 of collateral and gives a borrowing base of 12 500.00; draws up to
 * 1 000.00 are approved automatically, up to 5 000.00 by one approver, above by two different ones;
 * margin call at LTV 60 %, target 40 %, liquidation 75 %; no fee on sale.
 *
 * 1. The warehouse receives goods (a duplicate receipt number is refused on its field) → the seller
 *    pledges them and requests a draw → two approvers approve → the seller sees it disbursed and its
 *    availability fall.
 * 2. The seller reports a sale of the whole lot → the lender records the buyer's payment and sees the
 *    waterfall → the warehouse confirms the goods left → the lot is empty and the sale closed.
 * 3. The price falls → the margin call shows on the lender's portfolio and the seller's line → the
 *    seller's repayment is recorded → the call is cured.
 */
import { expect, type Page } from '@playwright/test';
import { checkPage, choose, LANGUAGES, receiveGoods, signedIn, text, usd, world, type Language, test } from './support';

const PHONE = { width: 390, height: 844 };
const DAY_MS = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
/** Workflows (approval, disbursement, settlement, revaluation) finish after the answer; pages poll every 4 s. */
const WORKFLOW = { timeout: 60_000 };

async function openLineTab(page: Page, language: Language, lineId: string, tab: Parameters<typeof text>[1]) {
  await page.goto(`/app/lines/${lineId}`);
  await expect(page.getByTestId('line-title')).toBeVisible();
  await page.getByRole('tab', { name: text(language, tab) }).click();
}

for (const language of LANGUAGES) {
  test(`journey 1 (${language}): goods received, pledged, a draw requested, approved by two approvers, disbursed; availability falls`, async ({ browser }, testInfo) => {
    test.setTimeout(300_000);
    const seeded = world(`draw-${language}`);
    const receipt = `WR-DRAW-${language.toUpperCase()}-7`;

    // The warehouse operator, on a phone, receives 10 000 kg of grade A for the seller.
    const warehouse = await signedIn(browser, language, seeded.warehouse, PHONE);
    await receiveGoods(warehouse, language, seeded, '10000', receipt);
    await expect(warehouse.getByTestId('received')).toContainText(receipt);
    await expect(warehouse.getByTestId('received')).toContainText('10,000');
    await checkPage(warehouse, testInfo, `receive-${language}`);
    // The same receipt number again: refused on its field, nothing received twice.
    await warehouse.getByLabel(text(language, 'receive.quantityIn', { unit: 'kg' }), { exact: true }).fill('10000');
    await warehouse.getByLabel(text(language, 'receive.receiptNumber'), { exact: true }).fill(receipt);
    await warehouse.getByRole('button', { name: text(language, 'receive.submit') }).click();
    await expect(warehouse.locator('.ant-form-item-has-error', { hasText: text(language, 'receive.receiptNumber') })).toContainText('already used');
    await warehouse.goto('/app/lots');
    await expect(warehouse.getByTestId('lots').getByRole('link', { name: receipt, exact: true })).toHaveCount(1);

    // The seller pledges the lot to its line.
    const seller = await signedIn(browser, language, seeded.seller);
    await seller.goto('/app/lots');
    await seller.getByTestId('lots').getByRole('link', { name: receipt, exact: true }).click();
    await expect(seller.getByTestId('lot-title')).toContainText(receipt);
    await choose(seller, text(language, 'pledge.line'), text(language, 'pledge.lineOption', { lender: `Lender ${seeded.label}`, currency: 'USD' }));
    await seller.getByRole('button', { name: text(language, 'pledge.submit') }).click();
    await seller.getByTestId('pledged').click();

    // Its line: base 12 500.00, nothing drawn; it asks for 6 000.00 — above 5 000.00, so two approvers.
    await expect(seller.getByTestId('line-title')).toBeVisible();
    await expect(seller.getByTestId('total-borrowing-base')).toContainText(usd('12,500.00'), WORKFLOW);
    await expect(seller.getByTestId('availability-before')).toContainText(usd('12,500.00'));
    const request = seller.getByTestId('request-draw');
    await request.getByLabel(text(language, 'draw.amount', { currency: 'USD' }), { exact: true }).fill('6000.00');
    await request.getByLabel(text(language, 'draw.purpose'), { exact: true }).fill('Cold-chain freight');
    await request.getByRole('button', { name: text(language, 'draw.submit') }).click();
    await expect(seller.getByTestId('draw-result')).toHaveText(text(language, 'draw.requested', { amount: usd('6,000.00'), status: text(language, 'status.REQUESTED') }));
    // Reserved while it waits: availability already counts it.
    await expect(seller.getByTestId('total-reserved')).toContainText(usd('6,000.00'));
    await expect(seller.getByTestId('total-availability')).toContainText(usd('6,500.00'));
    await checkPage(seller, testInfo, `line-draw-requested-${language}`);

    // The first approver: the rule is shown, one approval of two.
    const approverA = await signedIn(browser, language, seeded.approverA);
    await approverA.goto('/app/approvals');
    const pending = (page: Page) => page.getByTestId('approvals').getByRole('row', { name: new RegExp(usd('6,000.00').replace(/[.$]/g, '\\$&')) });
    await expect(pending(approverA).getByTestId('approvals-count')).toHaveText(`${text(language, 'draw.approvalsOf', { given: 0, required: 2 })} · ${text(language, 'approvals.twoApprovers')}`);
    await checkPage(approverA, testInfo, `approvals-${language}`);
    await pending(approverA).getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await approverA.getByRole('dialog').getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await expect(pending(approverA).getByTestId('approvals-count')).toHaveText(`${text(language, 'draw.approvalsOf', { given: 1, required: 2 })} · ${text(language, 'approvals.twoApprovers')}`);
    // The same person cannot give the second approval.
    await expect(pending(approverA).getByRole('button', { name: text(language, 'approvals.approve') })).toBeDisabled();

    // A second, different approver completes it; the draw leaves the queue.
    const approverB = await signedIn(browser, language, seeded.approverB);
    await approverB.goto('/app/approvals');
    await pending(approverB).getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await approverB.getByRole('dialog').getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await expect(pending(approverB)).toHaveCount(0);

    // The seller sees it disbursed: 6 000.00 outstanding, nothing reserved, 6 500.00 left to draw.
    await openLineTab(seller, language, seeded.lineId, 'line.tab.draws');
    await expect(seller.getByTestId('draws').getByRole('row', { name: text(language, 'status.DISBURSED') })).toContainText(usd('6,000.00'), WORKFLOW);
    await expect(seller.getByTestId('total-outstanding')).toContainText(usd('6,000.00'), WORKFLOW);
    await expect(seller.getByTestId('total-reserved')).toContainText(usd('0.00'));
    await expect(seller.getByTestId('total-availability')).toContainText(usd('6,500.00'));
    await seller.goto('/app/draws');
    await expect(seller.getByTestId('my-draws').getByRole('row', { name: text(language, 'status.DISBURSED') })).toContainText(usd('6,000.00'));
    await checkPage(seller, testInfo, `my-draws-${language}`);
  });

  test(`journey 2 (${language}): a sale reported, the buyer's payment recorded through the waterfall, the release confirmed; the lot is empty and the sale closed`, async ({ browser }, testInfo) => {
    test.setTimeout(300_000);
    const seeded = world(`sale-${language}`);
    const lot = seeded.lot!;

    // The seller owes 1 000.00 and sells the whole lot, 10 000 kg at 3.20 = 32 000.00.
    const seller = await signedIn(browser, language, seeded.seller);
    await seller.goto(`/app/lines/${seeded.lineId}`);
    await expect(seller.getByTestId('total-outstanding')).toContainText(usd('1,000.00'));
    const report = seller.getByTestId('report-sale');
    await choose(seller, text(language, 'sale.buyer'), `Buyer ${seeded.label}`);
    await choose(seller, text(language, 'sale.lot'), new RegExp(`^${lot.receiptNumber} · `));
    await report.getByLabel(text(language, 'sale.quantity'), { exact: true }).fill('10000');
    await report.getByLabel(text(language, 'sale.pricePerUnit', { currency: 'USD' }), { exact: true }).fill('3.20');
    await report.getByLabel(text(language, 'sale.paymentDueDate'), { exact: true }).fill(inDays(30));
    await report.getByRole('button', { name: text(language, 'sale.submit') }).click();
    await seller.getByRole('tab', { name: text(language, 'line.tab.sales') }).click();
    const saleRow = seller.getByTestId('sales').getByRole('row', { name: new RegExp(usd('32,000.00').replace(/[.$]/g, '\\$&')) });
    await expect(saleRow).toContainText(text(language, 'status.OPEN'), WORKFLOW);
    await saleRow.getByRole('link', { name: text(language, 'sale.open') }).click();
    await expect(seller.getByTestId('sale-status')).toHaveText(text(language, 'status.OPEN'));
    const saleUrl = new URL(seller.url()).pathname;
    // The seller cannot record the buyer's payment: that is the lender's to confirm.
    await expect(seller.getByTestId('record-payment')).toHaveCount(0);

    // The lender records the buyer's 32 000.00: no fee, no interest yet, 1 000.00 principal, 31 000.00 to the seller.
    const lender = await signedIn(browser, language, seeded.lender);
    await lender.goto(saleUrl);
    const payment = lender.getByTestId('record-payment');
    await payment.getByLabel(text(language, 'repayment.amount', { currency: 'USD' }), { exact: true }).fill('32000.00');
    await payment.getByRole('button', { name: text(language, 'sale.submitPayment') }).click();
    const waterfall = lender.getByTestId('waterfall').first();
    await expect(waterfall.getByRole('row', { name: text(language, 'waterfall.fees') })).toContainText(usd('0.00'));
    await expect(waterfall.getByRole('row', { name: text(language, 'waterfall.interest') })).toContainText(usd('0.00'));
    await expect(waterfall.getByRole('row', { name: text(language, 'waterfall.principal') })).toContainText(usd('1,000.00'));
    await expect(waterfall.getByRole('row', { name: text(language, 'waterfall.toSeller') })).toContainText(usd('31,000.00'));
    await expect(lender.getByTestId('sale-status')).toHaveText(text(language, 'status.RELEASE_AUTHORISED'), WORKFLOW);
    await checkPage(lender, testInfo, `sale-paid-${language}`);
    // The lender follows the release it authorised: 10 000 kg, nothing left yet.
    await lender.goto('/app/release-authorisations');
    const authorisation = lender.getByTestId('release-orders').getByRole('row', { name: text(language, 'release.kind.LENDER_AUTHORISATION') });
    await expect(authorisation).toContainText('10,000');
    await expect(authorisation).toContainText(text(language, 'status.OPEN'));
    await checkPage(lender, testInfo, `release-authorisations-${language}`);

    // The warehouse, on a phone, confirms that the 10 000 kg left.
    const warehouse = await signedIn(browser, language, seeded.warehouse, PHONE);
    // Until it leaves, the sold quantity is reserved: nothing of the lot is free to split or move.
    await warehouse.goto(`/app/lots/${lot.id}`);
    await expect(warehouse.getByTestId('lot-quantity')).toHaveText('10,000 kg');
    await expect(warehouse.getByTestId('lot-free')).toHaveText(/^0(\.0+)? kg$/);
    await warehouse.goto('/app/release-orders');
    const order = warehouse.getByTestId('release-orders').getByRole('row', { name: text(language, 'release.kind.LENDER_AUTHORISATION') });
    await expect(order).toContainText('10,000', WORKFLOW);
    await checkPage(warehouse, testInfo, `release-orders-${language}`);
    await order.getByRole('button', { name: text(language, 'release.confirm') }).click();
    await warehouse.getByTestId('release-quantity').fill('10000');
    await warehouse.getByRole('dialog').getByRole('button', { name: text(language, 'release.confirm') }).click();
    await expect(warehouse.getByRole('dialog')).toHaveCount(0);
    await expect(order).toHaveCount(0);

    // The lot is empty; the sale is closed; the line owes nothing.
    await warehouse.goto(`/app/lots/${lot.id}`);
    await expect(warehouse.getByTestId('lot-quantity')).toHaveText(/^0(\.0+)? kg$/, WORKFLOW);
    await checkPage(warehouse, testInfo, `lot-empty-${language}`);
    await seller.goto(saleUrl);
    await expect(seller.getByTestId('sale-status')).toHaveText(text(language, 'status.CLOSED'), WORKFLOW);
    await seller.goto(`/app/lines/${seeded.lineId}`);
    await expect(seller.getByTestId('total-outstanding')).toContainText(usd('0.00'));
    await checkPage(seller, testInfo, `sale-closed-line-${language}`);
    // And the lender sees its authorisation completed.
    await choose(lender, text(language, 'releaseAuthorisations.filterStatus'), text(language, 'status.COMPLETED'));
    await expect(authorisation).toContainText(text(language, 'status.COMPLETED'));
  });

  test(`journey 3 (${language}): a price falls, the margin call shows on the lender's portfolio and the seller's line, the seller's repayment cures it`, async ({ browser }, testInfo) => {
    test.setTimeout(300_000);
    const seeded = world(`marginCall-${language}`);

    // 10 000.00 drawn on 25 000.00 of collateral: LTV 40 %, no call.
    const lender = await signedIn(browser, language, seeded.lender);
    await lender.goto('/app/portfolio');
    const lineRow = lender.getByTestId('portfolio').getByRole('row', { name: seeded.sellerName });
    await expect(lineRow.getByTestId('open-calls')).toHaveText('0');

    // The lender posts today's price: 1.875 USD/kg. Collateral 15 000.00, LTV 66.67 %: above the
    // call line (60 %), below liquidation (75 %). To reach the 40 % target, principal must come
    // down to 6 000.00: the call asks 4 000.00.
    await lender.goto('/app/price-marks');
    const mark = lender.getByTestId('post-mark');
    await mark.getByLabel(text(language, 'marks.commodity'), { exact: true }).fill(seeded.commodityCode);
    await mark.getByLabel(text(language, 'marks.grade'), { exact: true }).fill('A');
    await mark.getByLabel(text(language, 'marks.currency'), { exact: true }).fill('USD');
    await mark.getByLabel(text(language, 'marks.pricePerUnit'), { exact: true }).fill('1.875');
    await mark.getByLabel(text(language, 'marks.unit'), { exact: true }).fill('kg');
    await mark.getByLabel(text(language, 'marks.source'), { exact: true }).fill('Exchange close');
    await mark.getByRole('button', { name: text(language, 'marks.submit') }).click();
    await expect(lender.getByTestId('marks')).toContainText('1.875');
    await checkPage(lender, testInfo, `price-marks-${language}`);

    // The call appears on the lender's portfolio.
    await expect(async () => {
      await lender.goto('/app/portfolio');
      await expect(lineRow.getByTestId('open-calls')).toHaveText('1', { timeout: 5_000 });
    }).toPass(WORKFLOW);
    await checkPage(lender, testInfo, `portfolio-call-${language}`);

    // And on the seller's line, with what cures it and the deadline counting down.
    const seller = await signedIn(browser, language, seeded.seller);
    await openLineTab(seller, language, seeded.lineId, 'line.tab.marginCalls');
    const call = seller.getByTestId('margin-calls').getByRole('row', { name: text(language, 'call.cause.LTV_ABOVE_MARGIN_CALL') });
    await expect(call).toContainText(text(language, 'status.OPEN'));
    await expect(call).toContainText(usd('4,000.00'));
    await checkPage(seller, testInfo, `line-margin-call-${language}`);

    // The seller wires 4 000.00; the lender, whose account received it, records it (a seller cannot
    // assert its own repayment). All of it reduces principal: no interest or fee is owed yet.
    await lender.goto(`/app/lines/${seeded.lineId}`);
    const repayment = lender.getByTestId('record-repayment');
    await repayment.getByLabel(text(language, 'repayment.amount', { currency: 'USD' }), { exact: true }).fill('4000.00');
    await repayment.getByLabel(text(language, 'repayment.reference'), { exact: true }).fill('Wire 4471');
    await repayment.getByRole('button', { name: text(language, 'repayment.submit') }).click();
    await expect(repayment.getByTestId('waterfall').getByRole('row', { name: text(language, 'waterfall.principal') })).toContainText(usd('4,000.00'));
    await expect(lender.getByTestId('total-outstanding')).toContainText(usd('6,000.00'), WORKFLOW);

    // Cured, on the seller's page and on the portfolio.
    await openLineTab(seller, language, seeded.lineId, 'line.tab.marginCalls');
    await expect(call).toContainText(text(language, 'status.CURED'), WORKFLOW);
    await checkPage(seller, testInfo, `line-call-cured-${language}`);
    await expect(async () => {
      await lender.goto('/app/portfolio');
      await expect(lineRow.getByTestId('open-calls')).toHaveText('0', { timeout: 5_000 });
    }).toPass(WORKFLOW);
  });
}
