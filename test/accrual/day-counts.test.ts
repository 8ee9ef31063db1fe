import { D } from '../../domain/money';
import { accrualsOfLine, accrueDate, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi } from '../support/api';
import { draw, openLine, type AccruingLine } from './factories';

/**
 * Four lines, one per day-count convention, each 1 000 000.00 USD drawn on 30 December 2027 at
 * 12 % (120 000 a year), accrued day by day through the year end, the end of January and
 * 29 February 2028, to 1 March 2028 (63 days). Hand-computed:
 *
 *   ACT/360       120 000 × 63/360                     = 21 000.00
 *   ACT/365       120 000 × 63/365 = 20 712.328767…    → 20 712.33
 *   ACT/ACT ISDA  120 000 × (2/365 + 61/366)
 *                 = 657.534246… + 20 000.00            → 20 657.53
 *   30E/360       360 × (2028 − 2027) + 30 × (3 − 12) + (2 − 30) = 62 days:
 *                 120 000 × 62/360 = 20 666.666…       → 20 666.67
 *                 (30 December and 30 January are worth 0 days, 29 February 2)
 */
const CLOCK = { now: new Date('2028-06-01T00:00:00Z') };
let api: TestApi;
const lines: Record<string, AccruingLine> = {};

beforeAll(async () => {
  api = await createTestApi();
  const lender = await api.organisation('LENDER');
  const seller = await api.organisation('SELLER');
  const parties = { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId };
  for (const dayCount of ['ACT_360', 'ACT_365', 'ACT_ACT_ISDA', 'THIRTY_E_360'] as const) {
    lines[dayCount] = await openLine(api.db.prisma, parties, { dayCount, openedOn: '2027-12-30' });
    await draw(api.db.prisma, lines[dayCount], '2027-12-30', '1000000.00');
  }
  for (const date of datesFromTo('2027-12-30', '2028-03-01')) {
    const counts = await accrueDate(api.db.prisma, date, { batchSize: 3, ...CLOCK });
    expect(counts).toMatchObject({ accrualDate: date, linesAccrued: 4 });
  }
}, 400_000);
afterAll(() => api.close());

const daysOf = (dayCount: string) => accrualsOfLine(api.db.prisma, lines[dayCount].id, { from: '2027-12-30', to: '2028-03-01' });
const exactOn = async (dayCount: string, date: string) => (await daysOf(dayCount)).find((day) => day.accrualDate === date)!.exactInterest.toFixed();

test.each([
  ['ACT_360', '21000.00'],
  ['ACT_365', '20712.33'],
  ['ACT_ACT_ISDA', '20657.53'],
  ['THIRTY_E_360', '20666.67'],
])('%s: 63 days over the year end and 29 February post %s in all', async (dayCount, total) => {
  const days = await daysOf(dayCount);
  expect(days).toHaveLength(63);
  expect(days.reduce((sum, day) => sum.plus(day.postedInterest.amount), new D(0)).toFixed(2)).toBe(total);
});

test('ACT/ACT ISDA: a day of 2027 is 1/365 of the year, a day of 2028 1/366', async () => {
  expect(await exactOn('ACT_ACT_ISDA', '2027-12-31')).toBe('328.767123287671232877');
  expect(await exactOn('ACT_ACT_ISDA', '2028-01-01')).toBe('327.868852459016393443');
  expect(await exactOn('ACT_ACT_ISDA', '2028-02-29')).toBe('327.868852459016393443');
});

test('30E/360: 30 December and 30 January are worth nothing, 29 February two days', async () => {
  expect(await exactOn('THIRTY_E_360', '2027-12-30')).toBe('0');
  expect(await exactOn('THIRTY_E_360', '2027-12-31')).toBe('333.333333333333333333');
  expect(await exactOn('THIRTY_E_360', '2028-01-30')).toBe('0');
  expect(await exactOn('THIRTY_E_360', '2028-02-29')).toBe('666.666666666666666667');
  const days = await daysOf('THIRTY_E_360');
  // A day worth nothing posts nothing unless the carried remainder rounds up; it still has its row.
  expect(days.find((day) => day.accrualDate === '2027-12-30')!.postedInterest.toFixedString()).toBe('0.00');
});
