/**
 * The warehouse operator on the floor, on a 390 px wide phone (issue #15): goods received through
 * the Receive page, then on the lot's page a stock count, a shrinkage, a move to the site's second
 * location and a split — after each the lot's quantity and its history show the server's figures,
 * written here by hand. A split of more than the lot holds is refused on the quantity field with the
 * server's reason. The split-off lot links back, and an inspection puts it on quality hold.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { SECOND_LOCATION } from './seed';
import { checkPage, choose, LANGUAGES, receiveGoods, signedIn, text, world, type Language, test } from './support';

const PHONE = { width: 390, height: 844 };

/** Opens one of the custody panels (one at a time) and returns its form. */
async function openPanel(page: Page, language: Language, title: Parameters<typeof text>[1], testId: string): Promise<Locator> {
  await page.getByTestId('custody').getByRole('button', { name: text(language, title), exact: true }).click();
  const form = page.getByTestId(testId);
  await expect(form).toBeVisible();
  return form;
}

function event(page: Page, index: number) {
  const item = page.getByTestId(`lot-event-${index}`);
  return { type: item.getByTestId('event-type'), figures: item.getByTestId('event-figures'), reason: item.getByTestId('event-reason') };
}

/** Nothing wider than the phone: only tables scroll sideways, inside their own box. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  // The test code is compiled without the DOM's types; in the page, globalThis is the window.
  const scrollWidth = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(PHONE.width);
}

for (const language of LANGUAGES) {
  test(`custody on a phone (${language}): receive, count, adjust, move and split a lot; an oversized split is refused on its field`, async ({ browser }, testInfo) => {
    test.setTimeout(240_000);
    const seeded = world(`custody-${language}`);
    const receipt = `CUS-${language.toUpperCase()}-1`;
    const childReceipt = `${receipt}B`;
    const page = await signedIn(browser, language, seeded.warehouse, PHONE);

    // 10 000 kg received into Cold room 1.
    await receiveGoods(page, language, seeded, '10000', receipt);
    await page.getByTestId('received').getByRole('link').click();

    await expect(page.getByTestId('lot-title')).toHaveText(text(language, 'lot.title', { receipt }));
    await expect(page.getByTestId('lot-quantity')).toHaveText('10,000 kg');
    await expect(page.getByTestId('lot-location')).toHaveText('Cold room 1');
    await expect(page.getByTestId('lot-flags')).toHaveText(text(language, 'common.none'));
    await expect(event(page, 0).type).toHaveText(text(language, 'custodyEvent.RECEIVED'));
    await expect(event(page, 0).figures).toHaveText('0 kg → 10,000 kg');

    // A count of 9 990 kg: the count (held 10 000) and an adjustment of −10 kg; the lot is flagged.
    const count = await openPanel(page, language, 'custody.count.title', 'custody-count');
    await count.getByLabel(text(language, 'custody.count.quantity', { unit: 'kg' }), { exact: true }).fill('9990');
    await count.getByLabel(text(language, 'custody.note'), { exact: true }).fill('Cycle count, row 4');
    await count.getByRole('button', { name: text(language, 'custody.count.submit') }).click();
    await expect(count.getByTestId('custody-done')).toHaveText(text(language, 'custody.done', { quantity: '9,990 kg' }));
    await expect(page.getByTestId('lot-quantity')).toHaveText('9,990 kg');
    await expect(page.getByTestId('lot-flags')).toHaveText(text(language, 'ineligible.COUNT_DIFFERENCE_FLAG'));
    await expect(page.getByTestId('lot-last-counted')).not.toHaveText(text(language, 'common.none'));
    await expect(event(page, 1).type).toHaveText(text(language, 'custodyEvent.COUNTED'));
    await expect(event(page, 1).figures).toHaveText(text(language, 'lot.event.counted', { held: '10,000 kg', counted: '9,990 kg' }));
    await expect(event(page, 1).reason).toHaveText('Cycle count, row 4');
    await expect(event(page, 2).type).toHaveText(text(language, 'lot.event.typeWithKind', { type: text(language, 'custodyEvent.ADJUSTED'), kind: text(language, 'adjustmentKind.COUNT_DIFFERENCE') }));
    await expect(event(page, 2).figures).toHaveText('10,000 kg → 9,990 kg');
    await expect(event(page, 2).reason).toHaveText('stock count difference -10 kg');

    // Shrinkage of 12.5 kg: 9 990 − 12.5 = 9 977.5 kg.
    const adjust = await openPanel(page, language, 'custody.adjust.title', 'custody-adjust');
    await adjust.getByLabel(text(language, 'custody.adjust.quantity', { unit: 'kg' }), { exact: true }).fill('12.5');
    await adjust.getByLabel(text(language, 'custody.reason'), { exact: true }).fill('Bruised apples sorted out');
    await adjust.getByRole('button', { name: text(language, 'custody.adjust.submit') }).click();
    await expect(adjust.getByTestId('custody-done')).toHaveText(text(language, 'custody.done', { quantity: '9,977.5 kg' }));
    await expect(page.getByTestId('lot-quantity')).toHaveText('9,977.5 kg');
    await expect(event(page, 3).type).toHaveText(text(language, 'lot.event.typeWithKind', { type: text(language, 'custodyEvent.ADJUSTED'), kind: text(language, 'adjustmentKind.SHRINKAGE') }));
    await expect(event(page, 3).figures).toHaveText('9,990 kg → 9,977.5 kg');
    await expect(event(page, 3).reason).toHaveText('Bruised apples sorted out');

    // Moved to the site's second location; the quantity does not change.
    const move = await openPanel(page, language, 'custody.move.title', 'custody-move');
    await choose(page, text(language, 'custody.move.to'), SECOND_LOCATION);
    await move.getByRole('button', { name: text(language, 'custody.move.submit'), exact: true }).click();
    await expect(move.getByTestId('custody-done')).toHaveText(text(language, 'custody.move.done', { location: SECOND_LOCATION }));
    await expect(page.getByTestId('lot-location')).toHaveText(SECOND_LOCATION);
    await expect(page.getByTestId('lot-quantity')).toHaveText('9,977.5 kg');
    await expect(event(page, 4).type).toHaveText(text(language, 'custodyEvent.MOVED'));
    await expect(event(page, 4).figures).toHaveText(`Cold room 1 → ${SECOND_LOCATION}`);

    // A split of 10 000 kg from 9 977.5 kg is refused, on the quantity field, in the server's words.
    const split = await openPanel(page, language, 'custody.split.title', 'custody-split');
    const splitQuantity = split.getByLabel(text(language, 'custody.split.quantity', { unit: 'kg' }), { exact: true });
    await splitQuantity.fill('10000');
    await split.getByLabel(text(language, 'custody.split.receiptNumber'), { exact: true }).fill(childReceipt);
    await split.getByRole('button', { name: text(language, 'custody.split.submit'), exact: true }).click();
    const refusal = 'a split takes part of the lot: less than the 9977.5 kg held; requested 10000 kg';
    await expect(splitQuantity).toHaveAccessibleDescription(refusal);
    await expect(split.getByTestId('problem')).toContainText(refusal);
    await expect(page.getByTestId('lot-quantity')).toHaveText('9,977.5 kg');
    await expect(page.getByTestId('lot-event-5')).toHaveCount(0);

    // 2 500 kg split off: 9 977.5 − 2 500 = 7 477.5 kg stay.
    await splitQuantity.fill('2500');
    await split.getByRole('button', { name: text(language, 'custody.split.submit'), exact: true }).click();
    await expect(split.getByTestId('custody-split-done')).toContainText(text(language, 'custody.split.done', { quantity: '2,500 kg', receipt: childReceipt }));
    await expect(page.getByTestId('lot-quantity')).toHaveText('7,477.5 kg');
    await expect(event(page, 5).type).toHaveText(text(language, 'custodyEvent.SPLIT_OUT'));
    await expect(event(page, 5).figures).toHaveText(`9,977.5 kg → 7,477.5 kg · ${text(language, 'lot.event.splitTo')}`);
    await expectNoSidewaysScroll(page);
    await checkPage(page, testInfo, `lot-custody-${language}`);

    // The new lot: 2 500 kg at the same location, linked back to its parent; an inspection puts it on hold.
    await split.getByTestId('split-child').click();
    await expect(page.getByTestId('lot-title')).toHaveText(text(language, 'lot.title', { receipt: childReceipt }));
    await expect(page.getByTestId('lot-quantity')).toHaveText('2,500 kg');
    await expect(page.getByTestId('lot-location')).toHaveText(SECOND_LOCATION);
    await expect(page.getByTestId('split-parent')).toBeVisible();
    await expect(event(page, 0).type).toHaveText(text(language, 'custodyEvent.SPLIT_IN'));
    await expect(event(page, 0).figures).toHaveText(`0 kg → 2,500 kg · ${text(language, 'lot.event.splitFrom')}`);
    const inspect = await openPanel(page, language, 'custody.inspect.title', 'custody-inspect');
    await inspect.getByLabel(text(language, 'custody.inspect.qualityHold'), { exact: true }).click();
    await inspect.getByLabel(text(language, 'custody.inspect.reason'), { exact: true }).fill('Bruising on the top layer');
    await inspect.getByRole('button', { name: text(language, 'custody.inspect.submit') }).click();
    await expect(inspect.getByTestId('custody-done')).toHaveText(text(language, 'custody.inspect.doneHeld', { grade: 'A' }));
    await expect(page.getByTestId('lot-flags')).toContainText(text(language, 'ineligible.QUALITY_HOLD'));
    await expect(event(page, 1).type).toHaveText(text(language, 'custodyEvent.INSPECTED'));
    await expect(event(page, 1).figures).toHaveText('2,500 kg → 2,500 kg');
    await expect(event(page, 1).reason).toHaveText('Bruising on the top layer');
    await expectNoSidewaysScroll(page);
    await checkPage(page, testInfo, `lot-split-off-${language}`);
  });
}
