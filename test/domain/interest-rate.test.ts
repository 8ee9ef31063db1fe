/** The rate a day accrues at, fixed or floating (domain/interest-rate.ts). */
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { rateOfDay } from '../../domain/interest-rate';
import { BusinessRuleError } from '../../domain/errors';
import { D } from '../../domain/money';

const d = (value: string) => new D(value);
const SOFR = '00000000-0000-4000-8000-0000000000aa';
const floating = (spread: string, floor: string | null = null) => ({ referenceRateId: SOFR, spread: d(spread), floor: floor === null ? null : d(floor) });

test('fixed: the line rate, no fixing, no flag', () => {
  const day = rateOfDay({ date: '2026-10-05', fixedRate: d('0.12'), floating: null, fixingInForce: null, maxFixingAgeDays: null });
  expect([day.annualRate.toFixed(), day.fixing, day.flag]).toEqual(['0.12', null, null]);
});

test('floating: fixing + spread; a floor on the reference rate; never below zero', () => {
  const on = (rate: string, spread: string, floor: string | null = null) =>
    rateOfDay({ date: '2026-10-05', fixedRate: d('0.12'), floating: floating(spread, floor), fixingInForce: { effectiveDate: '2026-10-05', rate: d(rate) }, maxFixingAgeDays: 4 }).annualRate.toFixed();
  expect(on('0.0431', '0.0175')).toBe('0.0606');
  expect(on('-0.005', '0.01', '0')).toBe('0.01'); // EURIBOR at −0.5 % with a 0 % floor: 0 + 1 %
  expect(on('-0.005', '0.01')).toBe('0.005');
  expect(on('-0.03', '0.01')).toBe('0');
});

test('a fixing older than maxFixingAgeDays is used and flagged STALE_FIXING; one exactly that old is not', () => {
  const at = (date: string) => {
    const day = rateOfDay({ date, fixedRate: d('0'), floating: floating('0.02'), fixingInForce: { effectiveDate: '2026-10-01', rate: d('0.04') }, maxFixingAgeDays: 4 });
    return [day.annualRate.toFixed(), day.fixing?.effectiveDate, day.fixing?.rate.toFixed(), day.flag];
  };
  expect(at('2026-10-05')).toEqual(['0.06', '2026-10-01', '0.04', null]);
  expect(at('2026-10-06')).toEqual(['0.06', '2026-10-01', '0.04', 'STALE_FIXING']);
});

test('a day with no fixing on or before it cannot be priced', () => {
  expect(() => rateOfDay({ date: '2026-10-05', fixedRate: d('0'), floating: floating('0.02'), fixingInForce: null, maxFixingAgeDays: 4 })).toThrow(BusinessRuleError);
});

test('property: the floating rate is max(0, max(fixing, floor) + spread), monotone in the fixing', () => {
  const fraction = fc.integer({ min: -10_000, max: 10_000 }).map((n) => d(String(n)).dividedBy(100_000));
  fc.assert(
    fc.property(fraction, fraction, fraction, fc.option(fraction, { nil: null }), (fixing, higher, spread, floor) => {
      const rate = (value: Decimal) =>
        rateOfDay({ date: '2026-10-05', fixedRate: d('0'), floating: { referenceRateId: SOFR, spread, floor }, fixingInForce: { effectiveDate: '2026-10-05', rate: value }, maxFixingAgeDays: 0 }).annualRate;
      const got = rate(fixing);
      const reference = floor === null ? fixing : Decimal.max(fixing, floor);
      expect(got.eq(Decimal.max(0, reference.plus(spread)))).toBe(true);
      expect(got.gte(0)).toBe(true);
      expect(rate(fixing.plus(higher.abs())).gte(got)).toBe(true);
    }),
  );
});
