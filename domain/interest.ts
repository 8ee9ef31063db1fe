/**
 * Daily interest accrual on outstanding principal.
 *
 * Precision policy (shared with the database, see the interest_accrual
 * CHECKs): a day's interest, principal × annual rate ÷ day-count basis, is a
 * repeating decimal, so it is quantized ONCE, here, in `quantizeInterest`, to
 * INTEREST_SCALE (18) decimal places with INTEREST_ROUNDING (half-even).
 * Everything after that is sums and differences of figures at 18 places and
 * posted amounts at currency scale, which decimal.js (60 significant digits,
 * room for 28 integer digits + 18 places) and PostgreSQL NUMERIC both compute
 * exactly — so the database's remainder identity
 * exact + carried in = posted + carried out can never refuse a row the code
 * produced, and remainders carried forward are also at 18 places.
 *
 * The quantized interest is added to the remainder carried from earlier days,
 * and the sum is rounded half-even to the currency scale for posting
 * (Money.roundToScale). The new remainder is what was not posted. Because the
 * remainder is carried rather than dropped, cumulative postings equal the
 * cumulative exact interest rounded once, so rounding never drifts however
 * many days pass (the quantization moves each day by at most 5·10⁻¹⁹).
 */
import { Decimal } from 'decimal.js';
import { assert } from './errors';
import { dayFraction, type DayCount } from './day-count';
import { D, Money, currencyScale, minorUnit } from './money';

export type { DayCount } from './day-count';

/** Decimal places of exact interest and carried remainders, in code and in the database (interest_accrual_interest_scale). */
export const INTEREST_SCALE = 18;
/** How exact interest is brought to INTEREST_SCALE: half-even, unbiased. */
export const INTEREST_ROUNDING = Decimal.ROUND_HALF_EVEN;

/** The one place sub-minor-unit interest is rounded: to INTEREST_SCALE places, INTEREST_ROUNDING. */
export function quantizeInterest(amount: Decimal.Value): Decimal {
  return new D(amount).toDecimalPlaces(INTEREST_SCALE, INTEREST_ROUNDING);
}

/** A figure at INTEREST_SCALE or coarser: what the interest columns hold. */
export function isAtInterestScale(amount: Decimal): boolean {
  return amount.decimalPlaces() <= INTEREST_SCALE;
}

/**
 * The exact interest of calendar day `date` ('YYYY-MM-DD') on `principal`:
 * principal × rate × days ÷ basis of the day under the convention
 * (domain/day-count.ts), one division, at INTEREST_SCALE.
 */
export function dayInterest(principal: Decimal, annualRate: Decimal, dayCount: DayCount, date: string): Decimal {
  const { days, basis } = dayFraction(dayCount, date);
  return quantizeInterest(principal.times(annualRate).times(days).dividedBy(basis));
}

export interface AccrueDayInput {
  /** The calendar day accrued, 'YYYY-MM-DD': under ACT/ACT ISDA and 30E/360 its worth depends on it. */
  date: string;
  outstandingPrincipal: Money;
  /** Annual rate as a fraction: 0.12 is 12% a year. */
  annualRate: Decimal;
  dayCount: DayCount;
  /** Unposted remainder from earlier days, in currency units (not minor units), at INTEREST_SCALE; 0 to start. */
  carriedRemainder: Decimal;
}

export interface DayAccrual {
  /** principal × rate × the day's fraction of a year, at INTEREST_SCALE (quantizeInterest). */
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
  assert(isAtInterestScale(carried), `carried remainder is at ${INTEREST_SCALE} decimal places; got ${carried.toString()}`);

  const exactInterest = dayInterest(outstandingPrincipal.amount, annualRate, dayCount, input.date);
  const due = Money.of(exactInterest.plus(carried), currency);
  const posted = due.roundToScale();
  const carriedRemainder = due.minus(posted).amount;
  assert(posted.isAtScale(), `posted interest is at ${currencyScale(currency)} decimal places`);
  assert(carriedRemainder.abs().lte(halfMinorUnit), 'half-even rounding leaves at most half a minor unit');
  assert(isAtInterestScale(carriedRemainder) && exactInterest.plus(carried).eq(posted.amount.plus(carriedRemainder)), 'exact + carried in = posted + carried out, at interest scale');
  return { exactInterest, posted, carriedRemainder };
}

export interface AccrueRangeInput {
  /** The first day accrued, 'YYYY-MM-DD'; the range runs over consecutive calendar days from it. */
  firstDate: string;
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
  for (const [index, outstandingPrincipal] of principals.entries()) {
    const day = accrueDay({
      date: addCalendarDays(input.firstDate, index),
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

export interface RestatedDayInput {
  /** 'YYYY-MM-DD' of the accrued day. */
  date: string;
  /** Principal the day was charged on (its accrual's, or its latest restatement's). */
  principalCharged: Money;
  /** Principal the ledger now says the day had. */
  principalActual: Money;
  annualRate: Decimal;
  dayCount: DayCount;
}

export interface RestatedDay {
  date: string;
  /** Interest on the actual principal − interest on the charged one, each at INTEREST_SCALE. */
  interestDifference: Decimal;
}

export interface Restatement {
  days: RestatedDay[];
  /** Σ of the days' differences, at INTEREST_SCALE. */
  restatedInterest: Decimal;
  /** Amount the restatement entry posts, at currency scale: negative when the days were over-charged. */
  posted: Money;
  /** restated + carried in − posted: carried into the day that posts the restatement. */
  carriedRemainder: Decimal;
}

/**
 * Days already accrued whose principal changed afterwards (a posting dated
 * into them): each day's interest is recomputed on the principal it really had,
 * the differences are added to the carried remainder and rounded like a day's
 * interest, so that restated and daily postings together stay within half a
 * minor unit of the exact interest on the real principal history.
 */
export function restateDays(input: { days: readonly RestatedDayInput[]; carriedRemainder: Decimal; currency: string }): Restatement {
  const carried = new D(input.carriedRemainder);
  const halfMinorUnit = minorUnit(input.currency).dividedBy(2);
  assert(isAtInterestScale(carried) && carried.abs().lte(halfMinorUnit), `carried remainder is at most half a minor unit, at ${INTEREST_SCALE} places; got ${carried.toString()}`);
  const days = input.days.map((day) => {
    assert(day.principalCharged.currency === input.currency && day.principalActual.currency === input.currency, `a restated day of a ${input.currency} line is in ${input.currency}`);
    assert(!day.principalActual.isNegative(), `principal of ${day.date} is not negative; got ${day.principalActual.format()}`);
    return {
      date: day.date,
      interestDifference: dayInterest(day.principalActual.amount, day.annualRate, day.dayCount, day.date).minus(
        dayInterest(day.principalCharged.amount, day.annualRate, day.dayCount, day.date),
      ),
    };
  });
  const restatedInterest = days.reduce((sum, day) => sum.plus(day.interestDifference), new D(0));
  const due = Money.of(restatedInterest.plus(carried), input.currency);
  const posted = due.roundToScale();
  const carriedRemainder = due.minus(posted).amount;
  assert(carriedRemainder.abs().lte(halfMinorUnit) && isAtInterestScale(carriedRemainder), 'a restatement carries at most half a minor unit, at interest scale');
  return { days, restatedInterest, posted, carriedRemainder };
}

/** 'YYYY-MM-DD' plus `days` calendar days. */
function addCalendarDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  assert(!Number.isNaN(at.getTime()), `a date is YYYY-MM-DD; got ${date}`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}
