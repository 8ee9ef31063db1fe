/**
 * Daily interest accrual on outstanding principal.
 *
 * Each day's exact interest (principal × annual rate ÷ day-count basis) is
 * added to the sub-minor-unit remainder carried from earlier days, and the
 * sum is rounded half-even to the currency scale for posting. The new
 * remainder is what was not posted. Because the remainder is carried rather
 * than dropped, cumulative postings equal the cumulative exact interest
 * rounded once, so rounding never drifts however many days pass.
 */
import type { Decimal } from 'decimal.js';
import { assert } from './errors';
import { D, Money, currencyScale, minorUnit } from './money';

export type DayCount = 'ACT_360' | 'ACT_365';

const DAY_COUNT_BASIS_DAYS: Readonly<Record<DayCount, 360 | 365>> = { ACT_360: 360, ACT_365: 365 };

/** Days in the year that an annual rate is divided by. */
export function dayCountBasis(dayCount: DayCount): 360 | 365 {
  const basisDays = DAY_COUNT_BASIS_DAYS[dayCount];
  assert(basisDays !== undefined, `day count is ACT_360 or ACT_365; got ${String(dayCount)}`);
  return basisDays;
}

export interface AccrueDayInput {
  outstandingPrincipal: Money;
  /** Annual rate as a fraction: 0.12 is 12% a year. */
  annualRate: Decimal;
  dayCount: DayCount;
  /** Unposted remainder from earlier days, in currency units (not minor units); 0 to start. */
  carriedRemainder: Decimal;
}

export interface DayAccrual {
  /** principal × rate ÷ basis, unrounded. */
  exactInterest: Decimal;
  /** Amount to post today, at currency scale. */
  posted: Money;
  /** exact + carried − posted, at most half a minor unit either way; carry into tomorrow. */
  carriedRemainder: Decimal;
}

export function accrueDay(input: AccrueDayInput): DayAccrual {
  const { outstandingPrincipal, dayCount } = input;
  const annualRate = new D(input.annualRate);
  const carried = new D(input.carriedRemainder);
  const currency = outstandingPrincipal.currency;
  const halfMinorUnit = minorUnit(currency).dividedBy(2);
  assert(!outstandingPrincipal.isNegative(), `outstanding principal is not negative; got ${outstandingPrincipal.format()}`);
  assert(annualRate.gte(0), `annual rate is not negative; got ${annualRate.toString()}`);
  assert(
    carried.abs().lte(halfMinorUnit),
    `carried remainder is at most half a minor unit (${halfMinorUnit.toString()} ${currency}); got ${carried.toString()}`,
  );

  const exactInterest = outstandingPrincipal.amount.times(annualRate).dividedBy(dayCountBasis(dayCount));
  const due = Money.of(exactInterest.plus(carried), currency);
  const posted = due.roundToScale();
  const carriedRemainder = due.minus(posted).amount;
  assert(posted.isAtScale(), `posted interest is at ${currencyScale(currency)} decimal places`);
  assert(carriedRemainder.abs().lte(halfMinorUnit), 'half-even rounding leaves at most half a minor unit');
  return { exactInterest, posted, carriedRemainder };
}

export interface AccrueRangeInput {
  /** Outstanding principal at the start of each day, in day order; one entry per day. */
  dailyOutstandingPrincipal: readonly Money[];
  annualRate: Decimal;
  dayCount: DayCount;
  /** Remainder carried in from before the first day; 0 to start. */
  carriedRemainder: Decimal;
}

export interface RangeAccrual {
  days: DayAccrual[];
  totalPosted: Money;
  carriedRemainder: Decimal;
}

/** Runs `accrueDay` over consecutive days, threading the remainder from each day to the next. */
export function accrueRange(input: AccrueRangeInput): RangeAccrual {
  const principals = input.dailyOutstandingPrincipal;
  assert(principals.length > 0, 'an accrual range has at least one day');
  const currency = principals[0].currency;
  const days: DayAccrual[] = [];
  let carriedRemainder = new D(input.carriedRemainder);
  let totalPosted = Money.zero(currency);
  for (const outstandingPrincipal of principals) {
    const day = accrueDay({
      outstandingPrincipal,
      annualRate: input.annualRate,
      dayCount: input.dayCount,
      carriedRemainder,
    });
    days.push(day);
    totalPosted = totalPosted.plus(day.posted);
    carriedRemainder = day.carriedRemainder;
  }
  return { days, totalPosted, carriedRemainder };
}
