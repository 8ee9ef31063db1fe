/**
 * Day-count conventions: what fraction of a year a day (or a period) is, for
 * interest quoted as an annual rate.
 *
 *   ACT_360       actual days ÷ 360
 *   ACT_365       actual days ÷ 365 (ACT/365 Fixed: 365 also in leap years)
 *   ACT_ACT_ISDA  days falling in a leap year ÷ 366 + days in other years ÷ 365
 *                 (ISDA 2006 §4.16(b))
 *   THIRTY_E_360  [360 × (Y2 − Y1) + 30 × (M2 − M1) + (D2 − D1)] ÷ 360, where a
 *                 31st counts as the 30th at either end (Eurobond basis,
 *                 ISDA 2006 §4.16(g)); the end of February is not adjusted
 *
 * Interest accrues one calendar day at a time: day `d` is the period from d to
 * d + 1. Every convention here is additive — the fraction of a period is the
 * sum of the fractions of its days — so daily postings (with the remainder
 * carried, domain/interest.ts) add up to the exact interest of the period.
 * Under 30E/360 a day is worth 0 to 3 days: the 31st of a month is worth 0,
 * 28 February 2027 is worth 3 (to 1 March) and 29 February 2028 is worth 2.
 *
 * Fractions are kept as whole days over a basis (never a JavaScript float):
 * interest is principal × rate × days ÷ basis, one division.
 */
import { InvariantViolation, assert } from './errors';

export const DAY_COUNTS = ['ACT_360', 'ACT_365', 'ACT_ACT_ISDA', 'THIRTY_E_360'] as const;
export type DayCount = (typeof DAY_COUNTS)[number];

export function isDayCount(value: unknown): value is DayCount {
  return typeof value === 'string' && (DAY_COUNTS as readonly string[]).includes(value);
}

/** Whole days over a basis: a year fraction held exactly. */
export interface DayFraction {
  days: number;
  basis: 360 | 365 | 366;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function parseDate(date: string): CalendarDate {
  const match = ISO_DATE.exec(date);
  assert(match !== null, `a date is YYYY-MM-DD; got ${date}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  assert(probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day, `${date} is a calendar date`);
  return { year, month, day };
}

function nextDay(date: CalendarDate): CalendarDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** 30E/360's serial: the difference of two is the days between them under the convention. */
function thirtyESerial(date: CalendarDate): number {
  return 360 * date.year + 30 * date.month + Math.min(date.day, 30);
}

/** The fraction of a year that the calendar day `date` (from it to the next day) is worth. */
export function dayFraction(dayCount: DayCount, date: string): DayFraction {
  const day = parseDate(date);
  switch (dayCount) {
    case 'ACT_360':
      return { days: 1, basis: 360 };
    case 'ACT_365':
      return { days: 1, basis: 365 };
    case 'ACT_ACT_ISDA':
      return { days: 1, basis: isLeapYear(day.year) ? 366 : 365 };
    case 'THIRTY_E_360':
      return { days: thirtyESerial(nextDay(day)) - thirtyESerial(day), basis: 360 };
    default:
      return assertNever(dayCount);
  }
}

/**
 * The fraction of a year from `from` (included) to `to` (excluded), computed
 * from the period's ends (not by adding days), as whole days per basis: ACT/ACT
 * ISDA gives up to two parts (days in leap years over 366, others over 365).
 */
export function periodFraction(dayCount: DayCount, from: string, to: string): DayFraction[] {
  const start = parseDate(from);
  const end = parseDate(to);
  assert(from <= to, `a period ends on or after its start; got ${from} to ${to}`);
  const utc = (date: CalendarDate) => Date.UTC(date.year, date.month - 1, date.day);
  const actualDays = (a: CalendarDate, b: CalendarDate) => Math.round((utc(b) - utc(a)) / 86_400_000);
  switch (dayCount) {
    case 'ACT_360':
      return [{ days: actualDays(start, end), basis: 360 }];
    case 'ACT_365':
      return [{ days: actualDays(start, end), basis: 365 }];
    case 'ACT_ACT_ISDA': {
      let leap = 0;
      let common = 0;
      for (let year = start.year; year <= end.year; year += 1) {
        const yearStart = year === start.year ? start : { year, month: 1, day: 1 };
        const yearEnd = year === end.year ? end : { year: year + 1, month: 1, day: 1 };
        const days = actualDays(yearStart, yearEnd);
        if (isLeapYear(year)) leap += days;
        else common += days;
      }
      return [
        { days: common, basis: 365 },
        { days: leap, basis: 366 },
      ];
    }
    case 'THIRTY_E_360':
      return [{ days: thirtyESerial(end) - thirtyESerial(start), basis: 360 }];
    default:
      return assertNever(dayCount);
  }
}

/** How a day's fraction reads in an entry's description: '1/360', '3/360'. */
export function describeFraction(fraction: DayFraction): string {
  return `${fraction.days}/${fraction.basis}`;
}

function assertNever(value: never): never {
  throw new InvariantViolation(`day count is one of ${DAY_COUNTS.join(', ')}; got ${String(value)}`);
}
