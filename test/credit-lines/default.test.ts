/**
 * From maturity to default, day by day through the nightly run: the amount falls due, goes overdue after the grace
 * period, attracts default interest, and past the default threshold the line goes IN_DEFAULT, after which its
 * lender may start a liquidation (the path of an uncured margin call). Each fact is told once.
 *
 * The line (ACT/360, fixed 12 %) opens 2026-09-01; version 2 from that day: maturity 2026-09-11, grace period 2
 * days, default interest 3.00 %, IN_DEFAULT from 5 days past due. 36 000.00 is drawn on 09-01.
 *   interest a day: 36 000 × 0.12 ÷ 360 = 12.00; due at maturity: 36 000.00 + 10 × 12.00 = 36 120.00
 *   09-14: 3 days past due, beyond the grace period: overdue. The accrual of 09-13 charges default interest for
 *          09-11, 09-12 and 09-13 at 36 000 × 0.03 ÷ 360 = 3.00 a day: 9.00; then 3.00 a day.
 *   09-16: 5 days past due: IN_DEFAULT. Owed: 36 000.00 + 15 × 12.00 + 9.00 + 2 × 3.00 = 36 195.00.
 */
import { accrueDate } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, type AccruingLine } from '../accrual/factories';

// Each test runs several nightly accruals: more than the default 30 s on a busy machine.
jest.setTimeout(120_000);

let now = new Date('2026-09-01T08:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let approver: TestUser;
let line: AccruingLine;

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  approver = await lender.addUser('APPROVER');
  line = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-09-01' });
  await draw(api.db.prisma, line, '2026-09-01', '36000.00');
  const terms = { maturityDate: '2026-09-11', delinquency: { gracePeriodDays: 2, defaultInterestSpread: '0.03', defaultAfterDaysPastDue: 5 } };
  await api.post(lender.admin, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-09-01', terms }).expect(201);
  await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);
});
afterAll(() => api.close());

/** The nightly run of `date`, the morning after. */
async function night(date: string) {
  now = new Date(`${date}T00:00:00Z`);
  now = new Date(now.getTime() + 86_400_000 + 30 * 60_000);
  await accrueDate(api.db.prisma, date, { now });
}

async function delinquencyEvents() {
  const rows = await api.db.sql(
    `SELECT type, data FROM domain_event WHERE subject_id = $1 AND type IN ('credit_line.amount_due', 'credit_line.overdue', 'credit_line.defaulted', 'credit_line.status_changed') ORDER BY seq`,
    [line.id],
  );
  return rows.map((row) => [row.type, row.data]);
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

test('the maturity date: 36 120.00 falls due, told once however often the night runs', async () => {
  for (const date of ['2026-09-01', '2026-09-02', '2026-09-03', '2026-09-04', '2026-09-05', '2026-09-06', '2026-09-07', '2026-09-08', '2026-09-09']) await night(date);
  expect(await delinquencyEvents()).toEqual([]);
  await night('2026-09-10');
  await accrueDate(api.db.prisma, '2026-09-10', { now });
  const due = { creditLineId: line.id, dueDate: '2026-09-11', principal: usd('36000.00'), interest: usd('120.00'), fees: usd('0.00'), total: usd('36120.00') };
  expect(await delinquencyEvents()).toEqual([['credit_line.amount_due', due]]);
  const early = await api.post(lender.admin, `/credit-lines/${line.id}/liquidation`);
  expect([early.status, early.body.code]).toEqual([422, 'line_not_in_default']);
});

test('past the grace period: overdue, and default interest for every day from the due date', async () => {
  await night('2026-09-11');
  await night('2026-09-12');
  expect((await delinquencyEvents()).map(([type]) => type)).toEqual(['credit_line.amount_due']);
  await night('2026-09-13');
  expect((await delinquencyEvents()).slice(1)).toEqual([
    ['credit_line.overdue', { creditLineId: line.id, dueDate: '2026-09-11', daysPastDue: 3, gracePeriodDays: 2, amountDue: usd('36165.00'), overduePrincipal: usd('36000.00') }],
  ]);
  const charged = await api.db.sql(
    `SELECT accrual_date::text AS day, charged_on::text AS charged_on, exact_interest::text AS exact, posted_interest::text AS posted FROM default_interest_accrual WHERE credit_line_id = $1 ORDER BY accrual_date`,
    [line.id],
  );
  expect(charged.map((row) => [row.day, row.charged_on, row.exact, row.posted])).toEqual([
    ['2026-09-11', '2026-09-13', '3', '0'],
    ['2026-09-12', '2026-09-13', '3', '0'],
    ['2026-09-13', '2026-09-13', '3', '9.00'],
  ]);
});

test('at 5 days past due the line is IN_DEFAULT; its lender starts a liquidation, once', async () => {
  await night('2026-09-14');
  expect((await api.get(lender.admin, `/credit-lines/${line.id}`).expect(200)).body.status).toBe('ACTIVE');
  await night('2026-09-15');
  await night('2026-09-15');
  expect((await delinquencyEvents()).slice(2)).toEqual([
    ['credit_line.status_changed', { creditLineId: line.id, from: 'ACTIVE', to: 'IN_DEFAULT', change: 'default_past_due' }],
    ['credit_line.defaulted', { creditLineId: line.id, dueDate: '2026-09-11', daysPastDue: 5, defaultAfterDaysPastDue: 5, amountDue: usd('36195.00') }],
  ]);
  const delinquency = await api.get(seller.admin, `/credit-lines/${line.id}/delinquency`).expect(200);
  expect(delinquency.body).toMatchObject({ status: 'IN_DEFAULT', daysPastDue: 5, bucket: 'DPD_1_30', defaultDue: true, defaultInterestPosted: usd('15.00'), amountDue: usd('36195.00') });

  expect((await api.post(seller.admin, `/credit-lines/${line.id}/liquidation`)).status).toBe(403);
  const started = await api.post(approver, `/credit-lines/${line.id}/liquidation`).expect(201);
  expect(started.body).toMatchObject({ status: 'LIQUIDATING', liquidationReason: 'PAST_DUE', cureDeadline: null, outstandingPrincipal: { amount: '36000.00', currency: 'USD' }, requiredRepayment: { amount: '36195.00', currency: 'USD' } });
  const again = await api.post(approver, `/credit-lines/${line.id}/liquidation`);
  expect(again.status).toBe(409);
});

test('renewed, a line in default by days past due and not being liquidated leaves default for FROZEN', async () => {
  // A second line of the same parties: opened 09-01, 10 000.00 drawn, maturing 09-05, in default from 1 day past due.
  now = new Date('2026-09-01T08:00:00Z');
  const other = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-09-01' });
  await draw(api.db.prisma, other, '2026-09-01', '10000.00');
  await api.post(lender.admin, `/credit-lines/${other.id}/terms`, { effectiveFrom: '2026-09-01', terms: { maturityDate: '2026-09-05', delinquency: { gracePeriodDays: 0, defaultInterestSpread: '0', defaultAfterDaysPastDue: 1 } } }).expect(201);
  await api.post(approver, `/credit-lines/${other.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${other.id}/terms/2/accept`).expect(200);
  const nightOf = async (date: string) => {
    now = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000 + 30 * 60_000);
    await accrueDate(api.db.prisma, date, { now });
  };
  for (const date of ['2026-09-01', '2026-09-02', '2026-09-03', '2026-09-04', '2026-09-05']) await nightOf(date);
  // 09-06: 1 day past due.
  expect((await api.get(lender.admin, `/credit-lines/${other.id}`).expect(200)).body.status).toBe('IN_DEFAULT');
  const renewal = await api.post(lender.admin, `/credit-lines/${other.id}/terms`, { effectiveFrom: '2026-09-06', terms: { maturityDate: '2026-12-31' } }).expect(201);
  expect(renewal.body.worsenings).toEqual([]);
  await api.post(approver, `/credit-lines/${other.id}/terms/${renewal.body.versionNo}/approve`).expect(200);
  await nightOf('2026-09-06');
  expect((await api.get(lender.admin, `/credit-lines/${other.id}`).expect(200)).body.status).toBe('FROZEN');
  const changes = await api.db.sql(`SELECT data->>'to' AS "to", data->>'change' AS change FROM domain_event WHERE subject_id = $1 AND type = 'credit_line.status_changed' ORDER BY seq`, [other.id]);
  expect(changes.map((c) => [c.to, c.change])).toEqual([
    ['IN_DEFAULT', 'default_past_due'],
    ['FROZEN', 'leave_default_past_due'],
  ]);
  expect((await api.get(lender.admin, `/credit-lines/${other.id}/delinquency`).expect(200)).body).toMatchObject({ matured: false, daysPastDue: 0, status: 'FROZEN' });
});
