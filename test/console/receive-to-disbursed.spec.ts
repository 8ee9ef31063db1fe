/**
 * Journey 1: the warehouse receives goods → the seller pledges them and requests a draw → the
 * lender's approver approves → the seller sees it disbursed and its availability fall.
 *
 * The world (test/console/seed.ts): 3.125 USD/kg, haircut 20 %, advance rate 50 %, draws up to
 * 1 000.00 approved automatically, up to 5 000.00 by one approver, no fee per draw. 10 000 kg are
 * worth 31 250.00, collateral value 25 000.00, borrowing base 12 500.00 = availability before the draw;
 * after a draw of 3 000.00 it is 12 500.00 − 3 000.00 = 9 500.00. The borrowing base view sends these
 * figures without trailing zeros ("12500"), and the console shows the string as sent: USD 12,500.
 */
import { expect, test } from '@playwright/test';
import { checkPage, choose, LANGUAGES, signedIn, text, usd, world } from './support';

const PHONE = { width: 390, height: 844 };

for (const language of LANGUAGES) {
  test(`receive to disbursed (${language}): goods received on a phone, pledged, drawn, approved, disbursed`, async ({ browser }, testInfo) => {
    // Four people, a dozen pages and an axe scan on each: minutes on a shared 2-core machine.
    test.setTimeout(300_000);
    const seeded = world(`receiveToDisbursed-${language}`);
    const receipt = `WR-J1-${language}-001`;

    // The warehouse operator, on a phone.
    const warehouse = await signedIn(browser, language, seeded.warehouse, PHONE);
    await warehouse.getByRole('link', { name: text(language, 'nav.receive') }).click();
    await expect(warehouse.getByRole('heading', { name: text(language, 'receive.title') })).toBeVisible();
    await choose(warehouse, text(language, 'receive.seller'), seeded.sellerName);
    await choose(warehouse, text(language, 'receive.warehouse'), `Cold store ${seeded.label} north`);
    await choose(warehouse, text(language, 'receive.location'), 'Cold room 1');
    await choose(warehouse, text(language, 'receive.commodity'), seeded.commodityCode);
    await choose(warehouse, text(language, 'receive.grade'), 'A');
    await warehouse.getByLabel(text(language, 'receive.quantityIn', { unit: 'kg' })).fill('10000');
    await warehouse.getByLabel(text(language, 'receive.receiptNumber')).fill(receipt);
    await warehouse.getByRole('button', { name: text(language, 'receive.submit') }).click();
    await expect(warehouse.getByTestId('received')).toContainText(text(language, 'receive.done', { quantity: '10,000', unit: 'kg', receipt }));
    await checkPage(warehouse, testInfo, `receive-${language}`);
    // The same receipt number again: refused on the field itself, from the API's field error.
    await warehouse.getByLabel(text(language, 'receive.quantityIn', { unit: 'kg' })).fill('5');
    await warehouse.getByLabel(text(language, 'receive.receiptNumber')).fill(receipt);
    await warehouse.getByRole('button', { name: text(language, 'receive.submit') }).click();
    await expect(warehouse.locator('.ant-form-item-explain-error')).toContainText(`warehouse receipt number "${receipt}" is already used`);
    await warehouse.getByRole('link', { name: text(language, 'nav.lots') }).click();
    await expect(warehouse.getByRole('link', { name: receipt })).toBeVisible();
    await checkPage(warehouse, testInfo, `warehouse-lots-${language}`);
    await warehouse.getByRole('link', { name: receipt }).click();
    await expect(warehouse.getByTestId('lot-history')).toContainText(text(language, 'custodyEvent.RECEIVED'));
    await checkPage(warehouse, testInfo, `lot-${language}`);

    // The seller pledges the lot and asks for a draw, seeing the availability first.
    const seller = await signedIn(browser, language, seeded.seller);
    await seller.getByRole('link', { name: text(language, 'nav.myLots') }).click();
    await seller.getByRole('link', { name: receipt }).click();
    await choose(seller, text(language, 'pledge.line'), `Lender ${seeded.label}`);
    await seller.getByRole('button', { name: text(language, 'pledge.submit') }).click();
    await expect(seller.getByTestId('pledged')).toBeVisible();
    await seller.getByTestId('pledged').click();
    await expect(seller.getByTestId('availability-before')).toHaveText(text(language, 'draw.availabilityNow', { availability: usd('12,500') }));
    await checkPage(seller, testInfo, `seller-line-${language}`);
    await seller.getByLabel(text(language, 'draw.amount', { currency: 'USD' })).fill('3000.00');
    await seller.getByLabel(text(language, 'draw.purpose')).fill('packaging');
    await seller.getByRole('button', { name: text(language, 'draw.submit') }).click();
    await expect(seller.getByTestId('draw-result')).toHaveText(text(language, 'draw.requested', { amount: usd('3,000.00'), status: text(language, 'status.REQUESTED') }));

    // The lender's approver finds it in the queue with the rule it falls under, and approves it.
    const approver = await signedIn(browser, language, seeded.approverA);
    await approver.getByRole('link', { name: text(language, 'nav.approvals') }).click();
    const row = approver.getByRole('row').filter({ hasText: usd('3,000.00') });
    await expect(row.getByTestId('approvals-count')).toHaveText(text(language, 'draw.approvalsOf', { given: 0, required: 1 }));
    await checkPage(approver, testInfo, `approvals-${language}`);
    await row.getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await approver.getByRole('dialog').getByRole('textbox').fill('within policy');
    await approver.getByRole('dialog').getByRole('button', { name: text(language, 'approvals.approve') }).click();
    await expect(approver.getByRole('row').filter({ hasText: usd('3,000.00') })).toHaveCount(0);

    // The seller sees the draw disbursed and the availability fallen by its amount.
    await seller.getByRole('link', { name: text(language, 'nav.myDraws') }).click();
    await expect(async () => {
      await seller.reload();
      await expect(seller.getByRole('row').filter({ hasText: usd('3,000.00') })).toContainText(text(language, 'status.DISBURSED'), { timeout: 2_000 });
    }).toPass({ timeout: 30_000 });
    await checkPage(seller, testInfo, `my-draws-${language}`);
    await seller.goto(`/app/lines/${seeded.lineId}`);
    await expect(seller.getByTestId('total-availability')).toContainText(usd('9,500'));
    await expect(seller.getByTestId('total-outstanding')).toContainText(/USD 3,000(\.00)?$/);

    // And the lender's portfolio shows the line with it.
    const lender = await signedIn(browser, language, seeded.lender);
    await expect(lender.getByRole('row').filter({ hasText: seeded.sellerName })).toContainText(usd('9,500'));
    await checkPage(lender, testInfo, `portfolio-${language}`);
  });
}
