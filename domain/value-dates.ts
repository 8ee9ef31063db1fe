/**
 * Value dates: the day money moved, which is the day the ledger says it moved
 * and the day interest starts or stops on it. The rules:
 *
 * - money cannot be dated in the future (after `today`, the caller's clock in UTC);
 * - nor before the earliest day it could have existed: the line's opening, and
 *   where the posting presupposes earlier money, that money's own date (a
 *   repayment of principal not before the first disbursement; a buyer's payment
 *   not before its sale was reported);
 * - accrual runs only for days that are over: a date before today.
 *
 * Pure: every figure, today included, comes from the caller.
 */
import { ValidationError } from './errors';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A lower bound on a value date and why it is one ("the line opened", "the first disbursement"). */
export interface EarliestValueDate {
  date: string;
  because: string;
}

/** The calendar day (UTC) of `now`, 'YYYY-MM-DD'. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Refuses a value date outside [latest of `earliest`, today], naming `field`
 * and the allowed range. Answers the date.
 */
export function requireValueDate(field: string, valueDate: string, bounds: { today: string; earliest: readonly EarliestValueDate[] }): string {
  requireDay(field, valueDate);
  const floor = bounds.earliest.reduce<EarliestValueDate | null>((latest, bound) => (latest === null || bound.date > latest.date ? bound : latest), null);
  const range = floor ? `from ${floor.date} (${floor.because}) to ${bounds.today} (today)` : `up to ${bounds.today} (today)`;
  if (valueDate > bounds.today) {
    throw new ValidationError(field, `is ${valueDate}, in the future; money can be dated ${range}`);
  }
  if (floor && valueDate < floor.date) {
    throw new ValidationError(field, `is ${valueDate}, before ${floor.because} (${floor.date}); money can be dated ${range}`);
  }
  return valueDate;
}

/** Accrual runs for days that are over: `date` must be before `today`. */
export function requireAccrualDate(field: string, date: string, today: string): string {
  requireDay(field, date);
  if (date >= today) {
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    throw new ValidationError(field, `is ${date}; accrual runs only for days that are over: at the latest ${yesterday}, the day before today (${today})`);
  }
  return date;
}

function requireDay(field: string, date: string): void {
  if (!ISO_DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    throw new ValidationError(field, `is "${date}"; expected a calendar date YYYY-MM-DD`);
  }
}
