/**
 * Interest billing through the API, with hand-computed figures.
 *
 * The line (ACT/360, fixed 12 %, maturing 2027-12-31) opens on 2026-10-01 and draws 100 000.00 that day; an amendment
 * from 2026-10-01 bills interest on day 1 of each month, due 10 days later, with a grace period of 3 days (billing
 * added is worse for the seller: it accepts). A day's interest is 100 000.00 × 0.12 ÷ 360 = 33.333333333333333333,
 * posted day by day with the remainder carried, so that what is posted up to a day is the exact sum rounded:
 *
 *   days                 n   Σ exact                      posted up to the end   posted for the days
 *   10-01 … 10-31        31   1 033.333333333333333323     1 033.33               1 033.33   billed 11-01, due 11-11
 *   11-01 … 11-14        14     466.666666666666666662     1 500.00                 466.67
 *   11-15 … 11-30        16     533.333333333333333328     2 033.33                 533.33
 *   11-01 … 11-30        30                                                        1 000.00   billed 12-01, due 12-11
 *
 * 11-12: the 11-01 bill is unpaid past its due date: 1 day past due, bucket 1–30, within the grace period.
 * 11-15: 4 days past due > 3: overdue (credit_line.overdue, due date 11-11); principal is not due before maturity, so
 *        none of it is overdue. 500.00 paid: the waterfall pays interest (1 500.00 owed), which settles the oldest
 *        interest first: the 11-01 bill has 500.00 paid, 533.33 unpaid (interest owed 1 000.00 − 466.67 not billed).
 * 12-01: the 12-01 bill (1 000.00) is written; interest owed 2 033.33 − 500.00 = 1 533.33, all billed: 533.33 of the
 *        first bill and the second whole; still 20 days past due (since 11-11).
 *        1 000.00 paid: 533.33 clears the first bill, 466.67 goes to the second (533.33 unpaid, due 12-11): current.
 *        533.33 paid: nothing billed is unpaid.
 * A second line, the same but IN_DEFAULT from 4 days past due, defaults on 11-15 by its unpaid bill alone (before
 * maturity, no principal overdue); paid (1 033.33), the next night it leaves default for FROZEN. A third line, the
 * same without billing, has no bills and owes its 1 033.33 of interest at maturity, as before.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type request from 'supertest';
import { accrueDate, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, type AccruingLine } from '../accrual/factories';

let now = new Date('2026-10-01T08:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let operator: TestUser;
let approver: TestUser;
let line: AccruingLine;
let unbilled: AccruingLine;
/** The same line and bill, in default from 4 days past due: IN_DEFAULT on 11-15 by its unpaid bill alone. */
let defaulting: AccruingLine;

const usd = (amount: string) => ({ amount, currency: 'USD' });
const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
};
/** The PDF's text, page by page (test/support/pdf-text.mjs). */
const pdfPages = (pdf: Buffer): string[][] =>
  (JSON.parse(execFileSync(process.execPath, [path.join(__dirname, '../support/pdf-text.mjs')], { input: pdf, maxBuffer: 64 * 1024 * 1024 }).toString('utf8')) as { pages: string[][] }).pages;

async function runNights(from: string, to: string, at: string) {
  now = new Date(at);
  for (const date of datesFromTo(from, to)) await accrueDate(api.db.prisma, date, { now });
}

async function delinquency() {
  return (await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200)).body;
}

async function bills() {
  return (await api.get(seller.admin, `/credit-lines/${line.id}/interest-bills`).expect(200)).body;
}

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  operator = await lender.addUser('OPERATOR');
  approver = await lender.addUser('APPROVER');
  const parties = { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId };
  line = await openLine(api.db.prisma, parties, { openedOn: '2026-10-01' });
  unbilled = await openLine(api.db.prisma, parties, { openedOn: '2026-10-01' });
  defaulting = await openLine(api.db.prisma, parties, { openedOn: '2026-10-01' });
  now = new Date('2026-10-01T10:00:00Z');
  await draw(api.db.prisma, line, '2026-10-01', '100000.00');
  await draw(api.db.prisma, unbilled, '2026-10-01', '100000.00');
  await draw(api.db.prisma, defaulting, '2026-10-01', '100000.00');
  const proposed = await api
    .post(operator, `/credit-lines/${line.id}/terms`, {
      effectiveFrom: '2026-10-01',
      terms: { interestBilling: { dayOfMonth: 1, dueAfterDays: 10 }, delinquency: { gracePeriodDays: 3, defaultInterestSpread: '0', defaultAfterDaysPastDue: null } },
    })
    .expect(201);
  expect(proposed.body).toMatchObject({ versionNo: 2, worsensForSeller: true, worsenings: ['interestBilling'] });
  await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);
  const defaultTerms = {
    effectiveFrom: '2026-10-01',
    terms: { interestBilling: { dayOfMonth: 1, dueAfterDays: 10 }, delinquency: { gracePeriodDays: 3, defaultInterestSpread: '0', defaultAfterDaysPastDue: 4 } },
  };
  expect((await api.post(operator, `/credit-lines/${defaulting.id}/terms`, defaultTerms).expect(201)).body.worsenings).toEqual(['delinquency.defaultAfterDaysPastDue', 'interestBilling']);
  await api.post(approver, `/credit-lines/${defaulting.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${defaulting.id}/terms/2/accept`).expect(200);
  await runNights('2026-10-01', '2026-10-31', '2026-11-01T00:30:00Z');
}, 180_000);
afterAll(() => api.close());

test("on 11-01 October's interest is billed: 1 033.33 for 10-01 … 10-31, due 11-11, once however often the night runs", async () => {
  const first = { billedOn: '2026-11-01', periodFrom: '2026-10-01', periodTo: '2026-10-31', dueDate: '2026-11-11', amount: usd('1033.33'), paid: usd('0.00'), unpaid: usd('1033.33') };
  expect(await bills()).toEqual({ items: [first], nextCursor: null });
  await accrueDate(api.db.prisma, '2026-10-31', { now });
  const rows = await api.db.sql(`SELECT billed_on::text, amount::text FROM interest_bill WHERE credit_line_id = $1`, [line.id]);
  expect(rows).toEqual([{ billed_on: '2026-11-01', amount: '1033.330000000000000000' }]);
  const events = await api.db.sql(`SELECT data FROM domain_event WHERE type = 'credit_line.interest_billed' AND subject_id = $1`, [line.id]);
  expect(events.map((event) => event.data)).toEqual([
    { creditLineId: line.id, billedOn: '2026-11-01', periodFrom: '2026-10-01', periodTo: '2026-10-31', amount: usd('1033.33'), dueDate: '2026-11-11' },
  ]);
  const notifications = await api.get(seller.admin, `/notifications?kind=credit_line_interest_billed&subjectId=${line.id}`).expect(200);
  expect(notifications.body.items.map((n: { message: string }) => n.message)).toEqual([
    `Credit line ${line.id}: interest of 2026-10-01 to 2026-10-31, 1 033.33 USD, billed on 2026-11-01, is due on 2026-11-11.`,
  ]);
  expect(await delinquency()).toMatchObject({
    matured: false,
    billedInterestUnpaid: usd('1033.33'),
    amountDue: null,
    oldestUnpaidDueDate: '2026-11-11',
    daysPastDue: 0,
    bucket: 'CURRENT',
    overdue: false,
  });
});

test('a line without billing has no bills and owes its interest at maturity, as before', async () => {
  expect((await api.get(seller.admin, `/credit-lines/${unbilled.id}/interest-bills`).expect(200)).body).toEqual({ items: [], nextCursor: null });
  expect((await api.get(lender.admin, `/credit-lines/${unbilled.id}/delinquency`).expect(200)).body).toMatchObject({
    owed: { principal: usd('100000.00'), interest: usd('1033.33'), fees: usd('0.00') },
    billedInterestUnpaid: usd('0.00'),
    amountDue: null,
    oldestUnpaidDueDate: null,
    daysPastDue: 0,
  });
});

test('only the lender and the seller of the line see its bills', async () => {
  const stranger = await api.organisation('LENDER');
  await api.get(stranger.admin, `/credit-lines/${line.id}/interest-bills`).expect(404);
  await api.get(lender.admin, `/credit-lines/${line.id}/interest-bills?cursor=nonsense`).expect(400);
});

test('billing terms outside their ranges are refused naming the field', async () => {
  const refused = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-11-02', terms: { interestBilling: { dayOfMonth: 29, dueAfterDays: 10 } } }).expect(400);
  expect(refused.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.terms.interestBilling.dayOfMonth']);
  const negative = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-11-02', terms: { interestBilling: { dayOfMonth: 1, dueAfterDays: -1 } } }).expect(400);
  expect(negative.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.terms.interestBilling.dueAfterDays']);
});

test('unpaid, the bill is past due from 11-12, overdue after the 3-day grace period; a partial payment settles it first', async () => {
  await runNights('2026-11-01', '2026-11-11', '2026-11-12T00:30:00Z');
  expect(await delinquency()).toMatchObject({ amountDue: usd('1033.33'), oldestUnpaidDueDate: '2026-11-11', daysPastDue: 1, bucket: 'DPD_1_30', overdue: false, overduePrincipal: usd('0.00') });

  await runNights('2026-11-12', '2026-11-14', '2026-11-15T00:30:00Z');
  expect(await delinquency()).toMatchObject({ owed: { interest: usd('1500.00') }, daysPastDue: 4, bucket: 'DPD_1_30', overdue: true, overduePrincipal: usd('0.00') });
  const overdue = await api.db.sql(`SELECT data FROM domain_event WHERE type = 'credit_line.overdue' AND subject_id = $1`, [line.id]);
  expect(overdue.map((event) => event.data)).toEqual([
    { creditLineId: line.id, dueDate: '2026-11-11', daysPastDue: 4, gracePeriodDays: 3, amountDue: usd('1033.33'), overduePrincipal: usd('0.00') },
  ]);

  // The same bill unpaid on the line that defaults from 4 days past due: IN_DEFAULT before its maturity; paid, it leaves default for FROZEN.
  const defaulted = (await api.get(lender.admin, `/credit-lines/${defaulting.id}/delinquency`).expect(200)).body;
  expect(defaulted).toMatchObject({ status: 'IN_DEFAULT', matured: false, daysPastDue: 4, defaultDue: true, oldestUnpaidDueDate: '2026-11-11', overduePrincipal: usd('0.00') });
  const told = await api.db.sql(`SELECT data FROM domain_event WHERE type = 'credit_line.defaulted' AND subject_id = $1`, [defaulting.id]);
  expect(told.map((event) => event.data)).toEqual([{ creditLineId: defaulting.id, dueDate: '2026-11-11', daysPastDue: 4, defaultAfterDaysPastDue: 4, amountDue: usd('1033.33') }]);

  now = new Date('2026-11-15T10:00:00Z');
  const paid = await api.post(operator, `/credit-lines/${line.id}/repayments`, { amount: usd('500.00'), receivedOn: '2026-11-15' }).expect(201);
  expect(paid.body.allocation).toEqual({ fees: usd('0.00'), interest: usd('500.00'), principal: usd('0.00'), toSeller: usd('0.00') });
  expect((await bills()).items).toEqual([expect.objectContaining({ billedOn: '2026-11-01', paid: usd('500.00'), unpaid: usd('533.33') })]);
  expect(await delinquency()).toMatchObject({ billedInterestUnpaid: usd('533.33'), amountDue: usd('533.33'), oldestUnpaidDueDate: '2026-11-11', daysPastDue: 4, overdue: true });
});

test('paid, a line in default by its unpaid bill leaves default for FROZEN at the next night', async () => {
  now = new Date('2026-11-15T11:00:00Z');
  await api.post(operator, `/credit-lines/${defaulting.id}/repayments`, { amount: usd('1033.33'), receivedOn: '2026-11-15' }).expect(201);
  expect((await api.get(seller.admin, `/credit-lines/${defaulting.id}/interest-bills`).expect(200)).body.items).toEqual([expect.objectContaining({ paid: usd('1033.33'), unpaid: usd('0.00') })]);
  await runNights('2026-11-15', '2026-11-15', '2026-11-16T00:30:00Z');
  expect((await api.get(lender.admin, `/credit-lines/${defaulting.id}/delinquency`).expect(200)).body).toMatchObject({ status: 'FROZEN', daysPastDue: 0, defaultDue: false });
});

test("December's bill; payments clear the oldest bill first, cumulatively, and a full payment makes the line current", async () => {
  await runNights('2026-11-15', '2026-11-30', '2026-12-01T00:30:00Z');
  const second = { billedOn: '2026-12-01', periodFrom: '2026-11-01', periodTo: '2026-11-30', dueDate: '2026-12-11', amount: usd('1000.00') };
  expect((await bills()).items).toEqual([
    expect.objectContaining({ billedOn: '2026-11-01', paid: usd('500.00'), unpaid: usd('533.33') }),
    { ...second, paid: usd('0.00'), unpaid: usd('1000.00') },
  ]);
  expect(await delinquency()).toMatchObject({ owed: { interest: usd('1533.33') }, billedInterestUnpaid: usd('1533.33'), oldestUnpaidDueDate: '2026-11-11', daysPastDue: 20, bucket: 'DPD_1_30' });
  const statement = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-11-01&to=2026-11-30`).expect(200);
  expect(statement.body.interestBills.map((bill: { billedOn: string; amount: unknown }) => [bill.billedOn, bill.amount])).toEqual([['2026-11-01', usd('1033.33')]]);

  const csv = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-11-01&to=2026-11-30&format=csv`).expect(200);
  expect(csv.text.split('\r\n').filter((row) => row.includes('INTEREST_BILL'))).toEqual([
    `${line.id},,,,USD,INTEREST_BILL,2026-11-01,,,,"interest of 2026-10-01 to 2026-10-31, due 2026-11-11; paid 500.00",,1033.33,,533.33`,
  ]);
  // The PDF says the same.
  const pdf = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-11-01&to=2026-11-30&format=pdf`).buffer(true).parse(binary).expect(200);
  const text = pdfPages(pdf.body as Buffer).flat().join(' ');
  expect(text).toContain('Interest bills in the period');
  expect(text).toContain('Billed 2026-11-01: interest of 2026-10-01 to 2026-10-31, 1033.33 USD, due 2026-11-11; paid 500.00, unpaid 533.33');

  now = new Date('2026-12-01T10:00:00Z');
  await api.post(operator, `/credit-lines/${line.id}/repayments`, { amount: usd('1000.00'), receivedOn: '2026-12-01' }).expect(201);
  expect((await bills()).items).toEqual([
    expect.objectContaining({ billedOn: '2026-11-01', paid: usd('1033.33'), unpaid: usd('0.00') }),
    { ...second, paid: usd('466.67'), unpaid: usd('533.33') },
  ]);
  expect(await delinquency()).toMatchObject({ billedInterestUnpaid: usd('533.33'), amountDue: null, oldestUnpaidDueDate: '2026-12-11', daysPastDue: 0, bucket: 'CURRENT', overdue: false });

  await api.post(operator, `/credit-lines/${line.id}/repayments`, { amount: usd('533.33'), receivedOn: '2026-12-01' }).expect(201);
  expect((await bills()).items.map((bill: { unpaid: unknown }) => bill.unpaid)).toEqual([usd('0.00'), usd('0.00')]);
  expect(await delinquency()).toMatchObject({ owed: { interest: usd('0.00') }, billedInterestUnpaid: usd('0.00'), oldestUnpaidDueDate: null, daysPastDue: 0, bucket: 'CURRENT' });
});
