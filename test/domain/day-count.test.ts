import fc from 'fast-check';
import { DAY_COUNTS, dayFraction, periodFraction, type DayCount, type DayFraction } from '../../domain/day-count';
import { accrueRange } from '../../domain/interest';
import { D, Money } from '../../domain/money';

/**
 * Day counts, hand-computed on 1 000 000.00 USD at 12 % (120 000 a year), across a year end,
 * month ends and 29 February 2028.
 */
const addDays = (date: string, days: number): string => {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
};
const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
const fractionsOf = (dayCount: DayCount, from: string, to: string): string[] =>
  Array.from({ length: daysBetween(from, to) }, (_, i) => addDays(from, i)).map((date) => {
    const { days, basis } = dayFraction(dayCount, date);
    return `${date} ${days}/${basis}`;
  });
/** Whole days per basis: the exact fraction, as integers (decimal sums of 1/360 are not exact). */
const daysPerBasis = (parts: DayFraction[]): Record<number, number> => {
  const sums: Record<number, number> = {};
  for (const { days, basis } of parts) if (days !== 0) sums[basis] = (sums[basis] ?? 0) + days;
  return sums;
};
/** Σ days ÷ basis at 60 significant digits: one division per basis. */
const yearFraction = (parts: DayFraction[]) => Object.entries(daysPerBasis(parts)).reduce((sum, [basis, days]) => sum.plus(new D(days).dividedBy(basis)), new D(0));
/** Posted interest over [from, to) on a constant principal, the remainder carried day to day. */
const postedOver = (dayCount: DayCount, from: string, to: string, principal = '1000000.00', rate = '0.12') =>
  accrueRange({
    firstDate: from,
    dailyOutstandingPrincipal: Array.from({ length: daysBetween(from, to) }, () => Money.of(principal, 'USD')),
    annualRate: new D(rate),
    dayCount,
    carriedRemainder: new D(0),
  });

describe('what one day is worth', () => {
  test('ACT/360 and ACT/365 (fixed): every day is 1/360 or 1/365, 29 February too', () => {
    expect(fractionsOf('ACT_360', '2028-02-28', '2028-03-01')).toEqual(['2028-02-28 1/360', '2028-02-29 1/360']);
    expect(fractionsOf('ACT_365', '2028-02-28', '2028-03-01')).toEqual(['2028-02-28 1/365', '2028-02-29 1/365']);
  });

  test('ACT/ACT (ISDA): a day of a leap year is 1/366, of any other year 1/365, switching at the year end', () => {
    expect(fractionsOf('ACT_ACT_ISDA', '2027-12-30', '2028-01-02')).toEqual(['2027-12-30 1/365', '2027-12-31 1/365', '2028-01-01 1/366']);
    expect(fractionsOf('ACT_ACT_ISDA', '2028-12-31', '2029-01-02')).toEqual(['2028-12-31 1/366', '2029-01-01 1/365']);
    // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    expect(dayFraction('ACT_ACT_ISDA', '2100-06-01')).toEqual({ days: 1, basis: 365 });
    expect(dayFraction('ACT_ACT_ISDA', '2000-06-01')).toEqual({ days: 1, basis: 366 });
  });

  test('30E/360: the 31st is worth nothing, the last day of February 3 days (2 in a leap year)', () => {
    expect(fractionsOf('THIRTY_E_360', '2027-01-29', '2027-02-02')).toEqual(['2027-01-29 1/360', '2027-01-30 0/360', '2027-01-31 1/360', '2027-02-01 1/360']);
    expect(fractionsOf('THIRTY_E_360', '2027-02-27', '2027-03-02')).toEqual(['2027-02-27 1/360', '2027-02-28 3/360', '2027-03-01 1/360']);
    expect(fractionsOf('THIRTY_E_360', '2028-02-27', '2028-03-02')).toEqual(['2028-02-27 1/360', '2028-02-28 1/360', '2028-02-29 2/360', '2028-03-01 1/360']);
    expect(fractionsOf('THIRTY_E_360', '2027-12-30', '2028-01-02')).toEqual(['2027-12-30 0/360', '2027-12-31 1/360', '2028-01-01 1/360']);
  });
});

describe('interest over a period, hand-computed (1 000 000.00 USD at 12 %)', () => {
  // [from, to): the days accrued are from … the day before to.
  const cases: [DayCount, string, string, string][] = [
    // Four days over 29 February 2028: 120 000 × 4/360 = 1 333.33; × 4/365 = 1 315.068…; × 4/366 = 1 311.475…;
    // 30E/360: 27 Feb (1) + 28 Feb (1) + 29 Feb (2) + 1 Mar (1) = 5/360 → 1 666.666…
    ['ACT_360', '2028-02-27', '2028-03-02', '1333.33'],
    ['ACT_365', '2028-02-27', '2028-03-02', '1315.07'],
    ['ACT_ACT_ISDA', '2028-02-27', '2028-03-02', '1311.48'],
    ['THIRTY_E_360', '2028-02-27', '2028-03-02', '1666.67'],
    // Over the year end: 30 and 31 December 2027 and 1 January 2028. ACT/ACT: 120 000 × (2/365 + 1/366)
    // = 657.534246… + 327.868852… = 985.403099…; 30E/360: 30 Dec (0) + 31 Dec (1) + 1 Jan (1) = 2/360.
    ['ACT_360', '2027-12-30', '2028-01-02', '1000.00'],
    ['ACT_365', '2027-12-30', '2028-01-02', '986.30'],
    ['ACT_ACT_ISDA', '2027-12-30', '2028-01-02', '985.40'],
    ['THIRTY_E_360', '2027-12-30', '2028-01-02', '666.67'],
    // 30 January to 1 March 2027 (February of 28 days): actual 30 days; 30E/360
    // 360 × 0 + 30 × (3 − 1) + (1 − 30) = 31 days → 10 333.33.
    ['ACT_360', '2027-01-30', '2027-03-01', '10000.00'],
    ['ACT_365', '2027-01-30', '2027-03-01', '9863.01'],
    ['ACT_ACT_ISDA', '2027-01-30', '2027-03-01', '9863.01'],
    ['THIRTY_E_360', '2027-01-30', '2027-03-01', '10333.33'],
  ];
  test.each(cases)('%s from %s to %s posts %s', (dayCount, from, to, expected) => {
    expect(postedOver(dayCount, from, to).totalPosted.toFixedString()).toBe(expected);
    expect(new D(120000).times(yearFraction(periodFraction(dayCount, from, to))).toDecimalPlaces(2, D.ROUND_HALF_EVEN).toFixed(2)).toBe(expected);
  });
});

describe('every convention is additive', () => {
  const date = fc.integer({ min: Date.UTC(1999, 0, 1), max: Date.UTC(2101, 11, 31) }).map((ms) => new Date(ms).toISOString().slice(0, 10));

  test('a period is worth the sum of its days (computed from its ends, not by adding days)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DAY_COUNTS), date, fc.integer({ min: 0, max: 800 }), (dayCount, from, length) => {
        const to = addDays(from, length);
        const days = Array.from({ length }, (_, i) => dayFraction(dayCount, addDays(from, i)));
        expect(daysPerBasis(days)).toEqual(daysPerBasis(periodFraction(dayCount, from, to)));
      }),
      { numRuns: 500 },
    );
  });

  test('daily postings over any period equal the exact interest for the period within one minor unit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DAY_COUNTS),
        date,
        fc.integer({ min: 1, max: 400 }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }).map((cents) => new D(cents.toString()).dividedBy(100).toFixed(2)),
        fc.integer({ min: 0, max: 40_000 }).map((bp) => new D(bp).dividedBy(100_000).toFixed()),
        (dayCount, from, length, principal, rate) => {
          const to = addDays(from, length);
          const exact = new D(principal).times(rate).times(yearFraction(periodFraction(dayCount, from, to)));
          const posted = postedOver(dayCount, from, to, principal, rate).totalPosted.amount;
          expect(posted.minus(exact).abs().lte('0.01')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
