/**
 * The annual rate a day accrues at.
 *
 * Fixed: the line's rate. Floating: the fixing of the line's reference rate in
 * force on the day — the one with the latest effective date on or before it —
 * then
 *
 *   rate of the day = max(0, max(fixing, floor) + spread)
 *
 * The floor, when there is one, applies to the reference rate (a "SOFR floor of
 * 0 %"); the all-in rate never goes below zero, because a loan never pays its
 * borrower interest. A fixing older than its reference rate's maxFixingAgeDays
 * on the day (the feed stopped) is still the one in force, and the day is
 * flagged STALE_FIXING so that the lender sees it; a day with no fixing at all
 * on or before it cannot accrue (a floating rate only takes effect once its
 * reference rate has a fixing on or before the effective date, so this means
 * broken data).
 */
import { Decimal } from 'decimal.js';
import { BusinessRuleError } from './errors';
import type { FloatingRate } from './credit-terms';
import { D } from './money';

export interface Fixing {
  /** 'YYYY-MM-DD' from which the fixing is in force. */
  effectiveDate: string;
  /** Fraction per year; may be negative. */
  rate: Decimal;
}

export type RateFlag = 'STALE_FIXING';

export interface RateOfDay {
  annualRate: Decimal;
  /** The fixing used; null on a fixed rate. */
  fixing: Fixing | null;
  flag: RateFlag | null;
}

export function rateOfDay(input: {
  /** 'YYYY-MM-DD' of the day accrued. */
  date: string;
  fixedRate: Decimal;
  floating: FloatingRate | null;
  /** The reference rate's fixing in force on the day (latest effective on or before it); null when there is none. */
  fixingInForce: Fixing | null;
  maxFixingAgeDays: number | null;
}): RateOfDay {
  const { floating, fixingInForce: fixing } = input;
  if (floating === null) return { annualRate: new D(input.fixedRate), fixing: null, flag: null };
  if (fixing === null) {
    throw new BusinessRuleError('no_fixing', `reference rate ${floating.referenceRateId} has no fixing on or before ${input.date}; post one (POST /reference-rates/{id}/fixings) dated on or before it`);
  }
  if (fixing.effectiveDate > input.date) throw new BusinessRuleError('no_fixing', `the fixing of ${fixing.effectiveDate} is not in force on ${input.date}`);
  const reference = floating.floor !== null ? Decimal.max(fixing.rate, floating.floor) : new D(fixing.rate);
  const annualRate = Decimal.max(new D(0), reference.plus(floating.spread));
  const ageDays = daysBetween(fixing.effectiveDate, input.date);
  const stale = input.maxFixingAgeDays !== null && ageDays > input.maxFixingAgeDays;
  return { annualRate, fixing, flag: stale ? 'STALE_FIXING' : null };
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
