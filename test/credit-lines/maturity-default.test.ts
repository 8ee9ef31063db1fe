/**
 * The issue's "done when" for maturity and default: a line on a floating rate, amended mid-month, whose maturity
 * falls overdue, gives through the API exactly the figures of a hand computation.
 *
 * The line (ACT/360) opens on 2026-10-01 on a fixed 12 % maturing 2027-12-31. Version 2, from 2026-10-01 (worse for
 * the seller: it accepts): SOFR + 2.00 %, 0 % floor; maturity 2026-10-20; a grace period of 3 days, default
 * interest 2.00 % p.a. over the contract rate, IN_DEFAULT from 30 days past due. Version 3, agreed on 2026-10-15,
 * lowers the spread to 1.50 % from 2026-10-16. SOFR (maxFixingAgeDays 5) fixes 10-01 4.30 %, 10-06 4.25 %,
 * 10-14 4.10 %, 10-20 4.40 %, 10-26 4.40 %. 100 000.00 is drawn on 10-01; 40 000.00 of principal is repaid on
 * 10-22 — after maturity. A day accrues on its principal at the end of the day.
 *
 * Interest (contract rate), a day = principal × rate ÷ 360 at 18 places:
 *
 *   days            n  principal   fixing (of)        spread  rate     a day                     n days
 *   10-01 … 10-05   5  100 000.00  0.0430 (10-01)     0.02    0.0630   17.5                       87.5
 *   10-06 … 10-11   6  100 000.00  0.0425 (10-06)     0.02    0.0625   17.361111111111111111     104.166666666666666666
 *   10-12 … 10-13   2  100 000.00  0.0425 (10-06) ⚑   0.02    0.0625   17.361111111111111111      34.722222222222222222
 *   10-14 … 10-15   2  100 000.00  0.0410 (10-14)     0.02    0.0610   16.944444444444444444      33.888888888888888888
 *   10-16 … 10-19   4  100 000.00  0.0410 (10-14)     0.015   0.0560   15.555555555555555556      62.222222222222222224
 *   10-20 … 10-21   2  100 000.00  0.0440 (10-20)     0.015   0.0590   16.388888888888888889      32.777777777777777778
 *   10-22 … 10-25   4   60 000.00  0.0440 (10-20)     0.015   0.0590    9.833333333333333333      39.333333333333333332
 *   10-26 … 10-31   6   60 000.00  0.0440 (10-26)     0.015   0.0590    9.833333333333333333      58.999999999999999998
 *                                                                                  Σ exact  453.611111111111111108
 * Posted day by day with the remainder carried: 453.61 (322.50 of it for 10-01 … 10-19, owed at maturity).
 *
 * Default interest: the 100 322.50 due on 10-20 is unpaid at the end of 10-23, 4 days past due the next day, beyond
 * the 3-day grace period: the accrual of 10-23 charges 10-20 … 10-23, each day after it itself, at 2.00 % on the
 * principal at the end of the day (100 000 × 0.02 ÷ 360 = 5.555555555555555556; 60 000: 3.333333333333333333):
 *
 *   charged by  days                      exact                    + carried in            posted  carried out
 *   10-23       10-20, 10-21 (100 000),   17.777777777777777778     0                      17.78   −0.002222222222222222
 *               10-22, 10-23 (60 000)
 *   10-24       10-24                      3.333333333333333333    −0.002222222222222222    3.33    0.001111111111111111
 *   10-25                                  3.333333333333333333     0.001111111111111111    3.33    0.004444444444444444
 *   10-26                                  3.333333333333333333     0.004444444444444444    3.34   −0.002222222222222223
 *   10-27                                  "                       −0.002222222222222223    3.33    0.001111111111111110
 *   10-28                                  "                        0.001111111111111110    3.33    0.004444444444444443
 *   10-29                                  "                        0.004444444444444443    3.34   −0.002222222222222224
 *   10-30                                  "                       −0.002222222222222224    3.33    0.001111111111111109
 *   10-31                                  "                        0.001111111111111109    3.33    0.004444444444444442
 *                                   Σ exact 44.444444444444444442                 Σ posted 44.44
 *
 * On 11-01 the line owes 60 000.00 + 453.61 + 44.44 = 60 498.05, all due; the oldest unpaid amount is the
 * principal due on 10-20: 12 days past due, bucket 1–30, overdue. A repayment of 60 400.00 through the API pays
 * interest first (498.05) and then 59 901.95 of principal; the 98.05 left is principal due on 10-20: still 12 days.
 */
import { D } from '../../domain/money';
import { accrueDate, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, repay, type AccruingLine } from '../accrual/factories';

let now = new Date('2026-10-01T08:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let operator: TestUser;
let approver: TestUser;
let line: AccruingLine;
let sofr: string;

const usd = (amount: string) => ({ amount, currency: 'USD' });

async function fixing(effectiveDate: string, rate: string) {
  now = new Date(`${effectiveDate}T18:00:00Z`);
  await api.post(operator, `/reference-rates/${sofr}/fixings`, { effectiveDate, rate }).expect(201);
}

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  operator = await lender.addUser('OPERATOR');
  approver = await lender.addUser('APPROVER');
  line = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-10-01' });
  sofr = (await api.post(lender.admin, '/reference-rates', { code: 'SOFR', name: 'Secured Overnight Financing Rate', maxFixingAgeDays: 5 }).expect(201)).body.id;
  await fixing('2026-10-01', '0.0430');

  now = new Date('2026-10-01T19:00:00Z');
  await draw(api.db.prisma, line, '2026-10-01', '100000.00');
  const delinquency = { gracePeriodDays: 3, defaultInterestSpread: '0.02', defaultAfterDaysPastDue: 30 };
  const v2 = await api
    .post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-01', terms: { floatingRate: { referenceRateId: sofr, spread: '0.02', floor: '0' }, maturityDate: '2026-10-20', delinquency } })
    .expect(201);
  expect(v2.body).toMatchObject({ versionNo: 2, worsenings: ['floatingRate', 'maturityDate', 'delinquency.defaultInterestSpread', 'delinquency.defaultAfterDaysPastDue'] });
  await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);

  await fixing('2026-10-06', '0.0425');
  await fixing('2026-10-14', '0.0410');
  now = new Date('2026-10-15T10:00:00Z');
  await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-16', terms: { floatingRate: { referenceRateId: sofr, spread: '0.015', floor: '0' } } }).expect(201);
  expect((await api.post(approver, `/credit-lines/${line.id}/terms/3/approve`).expect(200)).body.status).toBe('AGREED');
  await fixing('2026-10-20', '0.0440');
  now = new Date('2026-10-22T12:00:00Z');
  await repay(api.db.prisma, line, '2026-10-22', '40000.00');
  await fixing('2026-10-26', '0.0440');

  now = new Date('2026-11-01T00:30:00Z');
  for (const date of datesFromTo('2026-10-01', '2026-10-31')) await accrueDate(api.db.prisma, date, { now });
  // A month of nightly runs and a dozen requests: more than the default 30 s on a busy machine.
}, 180_000);
afterAll(() => api.close());

test("interest: each day's principal and rate under the version in force, exactly the table", async () => {
  const accruals = await api.get(seller.admin, `/credit-lines/${line.id}/accruals?from=2026-10-01&to=2026-10-31`).expect(200);
  type Row = { accrualDate: string; outstandingPrincipal: { amount: string }; annualInterestRate: string; termsVersionNo: number; exactInterest: { amount: string }; carriedOut: { amount: string } };
  const rows = accruals.body.items as Row[];
  const days = (from: string, to: string, principal: string, rate: string, version: number, exact: string) => datesFromTo(from, to).map((date) => [date, principal, rate, version, exact]);
  expect(rows.map((row) => [row.accrualDate, row.outstandingPrincipal.amount, row.annualInterestRate, row.termsVersionNo, row.exactInterest.amount])).toEqual([
    ...days('2026-10-01', '2026-10-05', '100000.00', '0.063', 2, '17.5'),
    ...days('2026-10-06', '2026-10-13', '100000.00', '0.0625', 2, '17.361111111111111111'),
    ...days('2026-10-14', '2026-10-15', '100000.00', '0.061', 2, '16.944444444444444444'),
    ...days('2026-10-16', '2026-10-19', '100000.00', '0.056', 3, '15.555555555555555556'),
    ...days('2026-10-20', '2026-10-21', '100000.00', '0.059', 3, '16.388888888888888889'),
    ...days('2026-10-22', '2026-10-31', '60000.00', '0.059', 3, '9.833333333333333333'),
  ]);
  expect(rows.reduce((sum, row) => sum.plus(row.exactInterest.amount), new D(0)).toFixed()).toBe('453.611111111111111108');
});

test('default interest: the grace period charged with its first day after, then day by day, remainder carried', async () => {
  const statement = await api.get(lender.admin, `/credit-lines/${line.id}/statement?from=2026-10-01&to=2026-10-31`).expect(200);
  type Account = { code: string; lines: { effectiveDate: string; credit: { amount: string } | null }[]; closingBalance: { amount: string } };
  const account = (code: string) => (statement.body.accounts as Account[]).find((a) => a.code === code) as Account;
  expect(account('DEFAULT_INTEREST_INCOME').lines.map((l) => [l.effectiveDate, l.credit?.amount])).toEqual([
    ['2026-10-23', '17.78'],
    ['2026-10-24', '3.33'],
    ['2026-10-25', '3.33'],
    ['2026-10-26', '3.34'],
    ['2026-10-27', '3.33'],
    ['2026-10-28', '3.33'],
    ['2026-10-29', '3.34'],
    ['2026-10-30', '3.33'],
    ['2026-10-31', '3.33'],
  ]);
  const balances = await api.get(seller.admin, `/credit-lines/${line.id}/ledger/balances`).expect(200);
  const balance = (code: string) => balances.body.accounts.find((a: { code: string }) => a.code === code).balance.amount;
  expect([balance('LOAN_PRINCIPAL'), balance('INTEREST_INCOME'), balance('DEFAULT_INTEREST_INCOME'), balance('INTEREST_RECEIVABLE')]).toEqual(['60000.00', '453.61', '44.44', '498.05']);
  const [last] = await api.db.sql(`SELECT carried_out::text AS carried FROM default_interest_accrual WHERE credit_line_id = $1 AND accrual_date = '2026-10-31'`, [line.id]);
  expect(last.carried).toBe('0.004444444444444442');
});

test('on 11-01: 60 498.05 due, the principal due on 10-20 twelve days past due, overdue; the portfolio buckets it', async () => {
  const delinquency = await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200);
  expect(delinquency.body).toMatchObject({
    asOf: '2026-11-01',
    maturityDate: '2026-10-20',
    matured: true,
    terms: { gracePeriodDays: 3, defaultInterestSpread: '0.02', defaultAfterDaysPastDue: 30 },
    dueAtMaturity: { dueDate: '2026-10-20', principal: usd('100000.00'), interest: usd('322.50'), fees: usd('0.00'), total: usd('100322.50') },
    owed: { principal: usd('60000.00'), interest: usd('498.05'), fees: usd('0.00') },
    amountDue: usd('60498.05'),
    oldestUnpaidDueDate: '2026-10-20',
    daysPastDue: 12,
    bucket: 'DPD_1_30',
    overdue: true,
    overduePrincipal: usd('60000.00'),
    defaultInterestPosted: usd('44.44'),
    defaultDue: false,
  });
  const portfolio = await api.get(lender.admin, '/portfolio/delinquency').expect(200);
  expect(portfolio.body).toMatchObject({ asOf: '2026-11-01', lineCount: 1, pastDueLineCount: 1 });
  expect(portfolio.body.buckets).toEqual([
    { bucket: 'CURRENT', lineCount: 0, owed: [] },
    { bucket: 'DPD_1_30', lineCount: 1, owed: [usd('60498.05')] },
    { bucket: 'DPD_31_60', lineCount: 0, owed: [] },
    { bucket: 'DPD_61_90', lineCount: 0, owed: [] },
    { bucket: 'DPD_90_PLUS', lineCount: 0, owed: [] },
  ]);
  expect(portfolio.body.pastDueLines.map((l: { creditLineId: string; daysPastDue: number }) => [l.creditLineId, l.daysPastDue])).toEqual([[line.id, 12]]);
});

test('a repayment through the waterfall pays interest first, then the oldest principal; paid in full the line is current', async () => {
  const partial = await api.post(operator, `/credit-lines/${line.id}/repayments`, { amount: usd('60400.00'), receivedOn: '2026-11-01' }).expect(201);
  expect(partial.body.allocation).toEqual({ fees: usd('0.00'), interest: usd('498.05'), principal: usd('59901.95'), toSeller: usd('0.00') });
  expect((await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200)).body).toMatchObject({
    owed: { principal: usd('98.05'), interest: usd('0.00'), fees: usd('0.00') },
    oldestUnpaidDueDate: '2026-10-20',
    daysPastDue: 12,
    overdue: true,
  });
  await api.post(operator, `/credit-lines/${line.id}/repayments`, { amount: usd('98.05'), receivedOn: '2026-11-01' }).expect(201);
  expect((await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200)).body).toMatchObject({ amountDue: usd('0.00'), oldestUnpaidDueDate: null, daysPastDue: 0, bucket: 'CURRENT', overdue: false });
});
