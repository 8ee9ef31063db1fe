import { D } from '../../domain/money';
import { accrualsOfLine, accrueDate, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { CLOCK, draw, openLine, repay, type AccruingLine } from './factories';

/**
 * November 2026 (30 days) accrued day by day with accrueDate, for three lines
 * opened on 1 November, each 12 % a year:
 *
 *  A. 1 000 000.00 USD, ACT/360. Exact daily interest 1 000 000 × 0.12 ÷ 360 = 333.333…
 *     Posted (half-even, remainder carried): day 1 333.33 (carry +0.00333…), day 2
 *     333.336… → 333.34 (carry −0.00333…), day 3 333.33 exactly (carry 0): a 3-day cycle
 *     of 333.33 + 333.34 + 333.33 = 1 000.00. Ten cycles = 10 000.00, which is the exact
 *     30 × 333.333… = 10 000.00.
 *  B. 1 000 000.00 USD, ACT/365. Exact daily 120 000 ÷ 365 = 328.767123…; exact month
 *     3 600 000 ÷ 365 = 9 863.013698… → 9 863.01. Every day posts 328.76 or 328.77:
 *     9 863.01 − 30 × 328.76 (= 9 862.80) = 0.21, so 21 days post 328.77 and 9 post 328.76.
 *  C. ACT/360, principal changing: 1 000 000.00 drawn 1 Nov, 500 000.00 more drawn 11 Nov
 *     (1 500 000.00 at the end of 11 Nov), 300 000.00 repaid 21 Nov (1 200 000.00).
 *     Days 1–10: 10 × 333.333… = 3 333.333…, posted 3 × 1 000.00 + 333.33 = 3 333.33,
 *       carrying 0.00333…
 *     Days 11–20: 1 500 000 × 0.12 ÷ 360 = 500.00 exactly; carry stays → 500.00 a day, 5 000.00
 *     Days 21–30: 1 200 000 × 0.12 ÷ 360 = 400.00 exactly → 400.00 a day, 4 000.00
 *     Total posted 12 333.33; exact 12 333.333…; 0.00333… (= 1/300) carried into December.
 */
let api: TestApi;
let lender: TestOrganisation;
let lineA: AccruingLine;
let lineB: AccruingLine;
let lineC: AccruingLine;
const november = datesFromTo('2026-11-01', '2026-11-30');

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  const seller = await api.organisation('SELLER');
  const parties = { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId };
  lineA = await openLine(api.db.prisma, parties, { dayCount: 'ACT_360' });
  lineB = await openLine(api.db.prisma, parties, { dayCount: 'ACT_365' });
  lineC = await openLine(api.db.prisma, parties, { dayCount: 'ACT_360' });
  for (const line of [lineA, lineB, lineC]) await draw(api.db.prisma, line, '2026-11-01', '1000000.00');
  await draw(api.db.prisma, lineC, '2026-11-11', '500000.00');
  await repay(api.db.prisma, lineC, '2026-11-21', '300000.00');
  for (const date of november) {
    const counts = await accrueDate(api.db.prisma, date, { batchSize: 2, ...CLOCK });
    expect(counts).toMatchObject({ accrualDate: date, linesAccrued: 3, linesAlreadyAccrued: 0, daysCaughtUp: 0 });
  }
}, 120_000);
afterAll(() => api.close());

const postedOf = async (line: AccruingLine) => (await accrualsOfLine(api.db.prisma, line.id, { from: '2026-11-01', to: '2026-11-30' })).map((day) => day.postedInterest.toFixedString());
const sum = (amounts: string[]) => amounts.reduce((total, amount) => total.plus(amount), new D(0)).toFixed(2);

test('ACT/360: 1 000 000.00 at 12 % for 30 days posts 333.33, 333.34, 333.33 … and exactly 10 000.00', async () => {
  const posted = await postedOf(lineA);
  expect(posted).toEqual(Array.from({ length: 10 }, () => ['333.33', '333.34', '333.33']).flat());
  expect(sum(posted)).toBe('10000.00');
  const [last] = (await accrualsOfLine(api.db.prisma, lineA.id, { from: '2026-11-30', to: '2026-11-30' }));
  // The exact remainder is 0; each day's 333.333… is quantized to 18 places (⅓·10⁻¹⁸ short), so 30 days leave −10⁻¹⁷.
  expect(last.carriedOut.toFixed()).toBe('-0.00000000000000001');
});

test('ACT/365: the same month posts 9 863.01, 21 days of 328.77 and 9 of 328.76', async () => {
  const posted = await postedOf(lineB);
  expect(posted).toHaveLength(30);
  expect(sum(posted)).toBe('9863.01');
  expect(posted.filter((amount) => amount === '328.77')).toHaveLength(21);
  expect(posted.filter((amount) => amount === '328.76')).toHaveLength(9);
  // After every day the running total is the exact interest so far within half a cent: n × 120 000 ÷ 365.
  posted.forEach((_, index) => {
    const exactSoFar = new D(120000).times(index + 1).dividedBy(365);
    expect(exactSoFar.minus(sum(posted.slice(0, index + 1))).abs().lte('0.005')).toBe(true);
  });
});

test('principal changing mid-month: 3 333.33 + 5 000.00 + 4 000.00 = 12 333.33, 1/300 carried on', async () => {
  const days = await accrualsOfLine(api.db.prisma, lineC.id, { from: '2026-11-01', to: '2026-11-30' });
  const principal = days.map((day) => day.outstandingPrincipal.toFixedString());
  expect(principal.slice(0, 10)).toEqual(Array(10).fill('1000000.00'));
  expect(principal.slice(10, 20)).toEqual(Array(10).fill('1500000.00'));
  expect(principal.slice(20)).toEqual(Array(10).fill('1200000.00'));
  const posted = days.map((day) => day.postedInterest.toFixedString());
  expect(sum(posted.slice(0, 10))).toBe('3333.33');
  expect(posted.slice(10, 20)).toEqual(Array(10).fill('500.00'));
  expect(posted.slice(20)).toEqual(Array(10).fill('400.00'));
  expect(sum(posted)).toBe('12333.33');
  expect(days[29].carriedOut.toDecimalPlaces(10).toFixed()).toBe('0.0033333333');
  // Each day carries in what the day before carried out.
  days.slice(1).forEach((day, index) => expect(day.carriedIn.equals(days[index].carriedOut)).toBe(true));
});

test('the interest shows on the line as outstanding interest receivable', async () => {
  const res = await api.get(lender.admin, `/credit-lines/${lineC.id}`).expect(200);
  expect(res.body.outstanding).toEqual({
    principal: { amount: '1200000.00', currency: 'USD' },
    interestReceivable: { amount: '12333.33', currency: 'USD' },
    feesReceivable: { amount: '0.00', currency: 'USD' },
  });
});

test('the statement shows one accrual entry a day on interest receivable and income, closing at 10 000.00', async () => {
  const res = await api.get(lender.admin, `/credit-lines/${lineA.id}/statement?from=2026-11-01&to=2026-11-30`).expect(200);
  type AccountStatement = { code: string; openingBalance: unknown; closingBalance: unknown; lines: { effectiveDate: string; debit: unknown; credit: unknown; description: string }[] };
  const accounts = Object.fromEntries((res.body.accounts as AccountStatement[]).map((account) => [account.code, account]));
  expect(accounts.INTEREST_RECEIVABLE.openingBalance).toEqual({ amount: '0.00', currency: 'USD' });
  expect(accounts.INTEREST_RECEIVABLE.lines.map((line) => line.effectiveDate)).toEqual(november);
  expect(accounts.INTEREST_RECEIVABLE.lines.slice(0, 2)).toMatchObject([
    { debit: { amount: '333.33', currency: 'USD' }, credit: null, description: 'Interest for 2026-11-01: 1 000 000.00 USD × 0.12 × 1/360 (ACT_360)' },
    { debit: { amount: '333.34', currency: 'USD' }, credit: null },
  ]);
  expect(accounts.INTEREST_RECEIVABLE.closingBalance).toEqual({ amount: '10000.00', currency: 'USD' });
  expect(accounts.INTEREST_INCOME.closingBalance).toEqual({ amount: '10000.00', currency: 'USD' });
  expect(accounts.INTEREST_INCOME.lines).toHaveLength(30);
});
