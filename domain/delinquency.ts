/**
 * Maturity, days past due, default interest and default.
 *
 * At its maturity date (a term, amendable: a renewal is an amendment that moves
 * it later) a line takes no more draws, and everything it owes is due:
 * principal, interest and fees owed at the start of that day are the amount
 * due at maturity, due on it. What the line is charged after that (interest of
 * each later day, fees) is due on the day it is charged.
 *
 * Payments clear the oldest due amounts first within the waterfall (fees,
 * interest and principal in the line's order, domain/waterfall.ts, and within
 * each the oldest first), so what is still owed of each is its most recent
 * charges: walking them back from the newest until they cover what is owed
 * finds the oldest unpaid one (`oldestUnpaid`).
 *
 * With interest billing (domain/interest-billing.ts) the line's bills are due amounts too, before maturity as
 * after it: billed interest unpaid after its bill's due date is past due, the bills settled oldest first.
 *
 *   days past due on day t = t − due date of the oldest unpaid amount (0 when nothing due is unpaid)
 *   overdue               ⇔ days past due > gracePeriodDays
 *   IN_DEFAULT            ⇔ days past due ≥ defaultAfterDaysPastDue (when the line sets it)
 *
 * Default interest (a spread over the contract rate, which keeps accruing as
 * before) accrues on principal once it is overdue, from the first day past
 * due: a day d on or after maturity whose principal was unpaid at its end
 * counts (paying one day late costs one day, as interest runs from the due date
 * to the day of payment). Within the grace period nothing is charged yet; when
 * principal is still unpaid at the end of the grace period the days of the
 * grace period are charged with it (`defaultInterestDaysToCharge`), so that
 * paying within the grace period costs no default interest, and paying after
 * it costs every day from the due date. Each day is charged on the principal it
 * had at its end, at the spread and day count of the terms in force on it, with
 * the sub-unit remainder carried (domain/interest.ts), exactly as interest is.
 */
import type { Decimal } from 'decimal.js';
import { assert } from './errors';
import { dayInterest, quantizeInterest, isAtInterestScale, INTEREST_SCALE, type DayCount } from './interest';
import { D, Money, minorUnit } from './money';

/** The delinquency terms of a line: how long the grace period is, the default spread, and when the line defaults. */
export interface DelinquencyTerms {
  /** Days past due before an amount is overdue (0: overdue from the first day past due). */
  gracePeriodDays: number;
  /** Default interest over the contract rate, a fraction per year (0.02 = 2.00 % p.a.); 0 for none. */
  defaultInterestSpread: Decimal;
  /** Days past due from which the line is IN_DEFAULT; null: never by itself. */
  defaultAfterDaysPastDue: number | null;
}

/** A line without delinquency terms: overdue from the first day past due, no default interest, never in default by itself. */
export const NO_DELINQUENCY_TERMS: DelinquencyTerms = Object.freeze({ gracePeriodDays: 0, defaultInterestSpread: new D(0), defaultAfterDaysPastDue: null });

/** Ten years, as every other period of the terms (domain/credit-terms.ts PERIOD_DAYS_MAX). */
export const DELINQUENCY_DAYS_MAX = 10 * 365;

/** Problems with delinquency terms, as (field below `terms.delinquency`, reason) pairs; empty when consistent. */
export function delinquencyTermsProblems(terms: DelinquencyTerms): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  const days = (field: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > DELINQUENCY_DAYS_MAX) {
      problems.push({ field, reason: `${String(value)} must be a whole number of days from ${min} to ${DELINQUENCY_DAYS_MAX}` });
    }
  };
  days('gracePeriodDays', terms.gracePeriodDays, 0);
  if (terms.defaultAfterDaysPastDue !== null) {
    days('defaultAfterDaysPastDue', terms.defaultAfterDaysPastDue, 1);
    if (Number.isSafeInteger(terms.defaultAfterDaysPastDue) && terms.defaultAfterDaysPastDue <= terms.gracePeriodDays) {
      problems.push({ field: 'defaultAfterDaysPastDue', reason: `${terms.defaultAfterDaysPastDue} must be more than gracePeriodDays (${terms.gracePeriodDays}): a line defaults only on what is overdue` });
    }
  }
  const spread = terms.defaultInterestSpread;
  if (!spread.isFinite() || spread.lt(0) || spread.gt(1)) {
    problems.push({ field: 'defaultInterestSpread', reason: `${spread.toString()} must be between 0 and 1 (a fraction per year: 0.02 means 2.00 % over the contract rate)` });
  }
  return problems;
}

/** Draws stop on the maturity date: everything is due that day. */
export function isMatured(maturityDate: string, date: string): boolean {
  return date >= maturityDate;
}

/** 'YYYY-MM-DD' plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

// ─── Days past due ───────────────────────────────────────────────────────────

/** An amount charged to the line and the day it is due. */
export interface DueCharge {
  dueDate: string;
  amount: Money;
}

/**
 * The oldest charge not yet paid, when payments clear the oldest first: what is
 * owed now is the newest charges' share. Charges in due-date order; null when
 * nothing is owed.
 */
export function oldestUnpaid(charges: readonly DueCharge[], owedNow: Money): { dueDate: string; unpaid: Money } | null {
  if (!owedNow.isPositive()) return null;
  let covered = Money.zero(owedNow.currency);
  for (let index = charges.length - 1; index >= 0; index--) {
    const charge = charges[index];
    assert(index === 0 || charges[index - 1].dueDate <= charge.dueDate, 'due charges are in due-date order');
    covered = covered.plus(charge.amount);
    if (covered.gte(owedNow)) return { dueDate: charge.dueDate, unpaid: charge.amount.minus(covered.minus(owedNow)) };
  }
  // Owed beyond every charge listed: the line owes more than what fell due, i.e. something charged before the first due date.
  return charges.length === 0 ? null : { dueDate: charges[0].dueDate, unpaid: charges[0].amount.plus(owedNow.minus(covered)) };
}

export type DpdBucket = 'CURRENT' | 'DPD_1_30' | 'DPD_31_60' | 'DPD_61_90' | 'DPD_90_PLUS';
export const DPD_BUCKETS: readonly DpdBucket[] = ['CURRENT', 'DPD_1_30', 'DPD_31_60', 'DPD_61_90', 'DPD_90_PLUS'];

export function dpdBucket(daysPastDue: number): DpdBucket {
  assert(Number.isSafeInteger(daysPastDue) && daysPastDue >= 0, `days past due are a whole number, 0 or more; got ${daysPastDue}`);
  if (daysPastDue === 0) return 'CURRENT';
  if (daysPastDue <= 30) return 'DPD_1_30';
  if (daysPastDue <= 60) return 'DPD_31_60';
  if (daysPastDue <= 90) return 'DPD_61_90';
  return 'DPD_90_PLUS';
}

export interface Owed {
  principal: Money;
  interest: Money;
  fees: Money;
}

export function owedTotal(owed: Owed): Money {
  return owed.principal.plus(owed.interest).plus(owed.fees);
}

export interface DelinquencyInput {
  /** 'YYYY-MM-DD': the day the line is looked at. */
  today: string;
  /** The maturity date of the terms in force today. */
  maturityDate: string;
  terms: DelinquencyTerms;
  /** What the line owed at the start of its maturity date (ledger balances as of the day before). */
  owedAtMaturity: Owed;
  /** What was charged to the line from its maturity date on (interest, default interest, fees), per day charged, in date order. */
  chargedSinceMaturity: readonly (Owed & { dueDate: string })[];
  /** What the line owes now. */
  owedNow: Owed;
  /**
   * The line's interest bills (domain/interest-billing.ts), oldest first, each with what of it is unpaid; absent or
   * empty for a line without billing. Unpaid after its due date a bill is past due, before maturity as after it.
   */
  bills?: readonly { dueDate: string; unpaid: Money }[];
}

export interface LineDelinquency {
  matured: boolean;
  /** Billed interest not paid yet (due or not), Σ of the bills' unpaid parts; zero without bills. */
  billedInterestUnpaid: Money;
  /** The amount that fell due at maturity and its due date (the maturity date); null before it. */
  dueAtMaturity: (Owed & { total: Money; dueDate: string }) | null;
  /** Everything the line owes now is due (from maturity); before it, the billed interest due by today and unpaid (null when none is). */
  amountDue: Money | null;
  /** Due date of the oldest amount still unpaid; null when nothing due is unpaid. */
  oldestUnpaidDueDate: string | null;
  daysPastDue: number;
  bucket: DpdBucket;
  /** Days past due beyond the grace period. */
  overdue: boolean;
  /** The line's principal is overdue: it attracts default interest. */
  overduePrincipal: Money;
  /** Days past due reached the line's defaultAfterDaysPastDue. */
  defaultDue: boolean;
}

const OWED_PARTS = ['fees', 'interest', 'principal'] as const;

/**
 * The line's delinquency on `today`. A payment runs through the waterfall (fees, interest, principal in the
 * line's order) and, within each of them, clears the oldest due amount first: so each part's oldest unpaid
 * amount is found among that part's charges, and the line is as many days past due as its oldest one.
 */
export function lineDelinquency(input: DelinquencyInput): LineDelinquency {
  const { today, maturityDate, terms } = input;
  const currency = input.owedNow.principal.currency;
  const zero = Money.zero(currency);
  const bills = input.bills ?? [];
  const billedInterestUnpaid = bills.reduce((sum, bill) => sum.plus(bill.unpaid), zero);
  // Bills are settled oldest first: the first one not paid in full is the oldest unpaid billed amount.
  const oldestBillDueDate = bills.find((bill) => bill.unpaid.isPositive())?.dueDate ?? null;
  if (!isMatured(maturityDate, today)) {
    if (oldestBillDueDate === null) {
      return { matured: false, billedInterestUnpaid, dueAtMaturity: null, amountDue: null, oldestUnpaidDueDate: null, daysPastDue: 0, bucket: 'CURRENT', overdue: false, overduePrincipal: zero, defaultDue: false };
    }
    // Before maturity only billed interest falls due; principal is not due, so none of it is overdue.
    const daysPastDue = Math.max(0, daysBetween(oldestBillDueDate, today));
    const dueByToday = bills.filter((bill) => bill.dueDate <= today).reduce((sum, bill) => sum.plus(bill.unpaid), zero);
    return {
      matured: false,
      billedInterestUnpaid,
      dueAtMaturity: null,
      amountDue: dueByToday.isPositive() ? dueByToday : null,
      oldestUnpaidDueDate: oldestBillDueDate,
      daysPastDue,
      bucket: dpdBucket(daysPastDue),
      overdue: daysPastDue > terms.gracePeriodDays,
      overduePrincipal: zero,
      defaultDue: terms.defaultAfterDaysPastDue !== null && daysPastDue >= terms.defaultAfterDaysPastDue,
    };
  }
  let oldestDueDate: string | null = oldestBillDueDate;
  for (const part of OWED_PARTS) {
    const charges = [{ dueDate: maturityDate, amount: input.owedAtMaturity[part] }, ...input.chargedSinceMaturity.map((charge) => ({ dueDate: charge.dueDate, amount: charge[part] }))];
    const oldest = oldestUnpaid(charges.filter((charge) => charge.amount.isPositive()), input.owedNow[part]);
    if (oldest && (oldestDueDate === null || oldest.dueDate < oldestDueDate)) oldestDueDate = oldest.dueDate;
  }
  const daysPastDue = oldestDueDate === null ? 0 : Math.max(0, daysBetween(oldestDueDate, today));
  const overdue = daysPastDue > terms.gracePeriodDays;
  // Principal falls due at maturity: it is overdue only once the maturity date itself is past the grace period
  // (an older unpaid bill may make the line overdue sooner; without bills the two are the same).
  const principalOverdue = overdue && daysBetween(maturityDate, today) > terms.gracePeriodDays;
  return {
    matured: true,
    billedInterestUnpaid,
    dueAtMaturity: { ...input.owedAtMaturity, total: owedTotal(input.owedAtMaturity), dueDate: maturityDate },
    amountDue: owedTotal(input.owedNow),
    oldestUnpaidDueDate: oldestDueDate,
    daysPastDue,
    bucket: dpdBucket(daysPastDue),
    overdue,
    overduePrincipal: principalOverdue ? input.owedNow.principal : zero,
    defaultDue: terms.defaultAfterDaysPastDue !== null && daysPastDue >= terms.defaultAfterDaysPastDue,
  };
}

// ─── Default interest ────────────────────────────────────────────────────────

/**
 * The days whose default interest the accrual of day `date` charges: none while
 * the line is not past due beyond its grace period at the end of `date`, or
 * owes no principal then; otherwise every day from the maturity date to `date`
 * not charged yet (the grace period's days with the first day after it).
 */
export function defaultInterestDaysToCharge(input: {
  date: string;
  maturityDate: string;
  gracePeriodDays: number;
  principalAtEndOfDate: Money;
  alreadyCharged: ReadonlySet<string>;
}): string[] {
  const { date, maturityDate } = input;
  // Unpaid at the end of `date`, the amount due on maturityDate is date + 1 − maturityDate days past due the next day.
  if (date < maturityDate || !input.principalAtEndOfDate.isPositive()) return [];
  if (daysBetween(maturityDate, date) + 1 <= input.gracePeriodDays) return [];
  const days: string[] = [];
  for (let day = maturityDate; day <= date; day = addDays(day, 1)) if (!input.alreadyCharged.has(day)) days.push(day);
  return days;
}

export interface DefaultInterestDay {
  date: string;
  /** Principal overdue at the end of the day. */
  overduePrincipal: Money;
  /** The default spread of the terms in force on the day. */
  spread: Decimal;
  dayCount: DayCount;
}

export interface DefaultInterestCharge {
  days: (DefaultInterestDay & { exactInterest: Decimal })[];
  carriedIn: Decimal;
  /** Σ exact interest of the days, at INTEREST_SCALE. */
  exactInterest: Decimal;
  posted: Money;
  carriedRemainder: Decimal;
}

/**
 * Default interest of `days`: each day principal × spread × the day's fraction
 * (domain/interest.ts dayInterest), summed with the carried remainder and
 * rounded once, the remainder carried on (at most half a minor unit).
 */
export function chargeDefaultInterest(input: { days: readonly DefaultInterestDay[]; carriedRemainder: Decimal; currency: string }): DefaultInterestCharge {
  const carried = new D(input.carriedRemainder);
  const halfMinorUnit = minorUnit(input.currency).dividedBy(2);
  assert(isAtInterestScale(carried) && carried.abs().lte(halfMinorUnit), `carried remainder is at most half a minor unit at ${INTEREST_SCALE} places; got ${carried.toString()}`);
  const days = input.days.map((day) => {
    assert(day.overduePrincipal.currency === input.currency, `default interest of a ${input.currency} line is in ${input.currency}`);
    assert(!day.overduePrincipal.isNegative() && day.spread.gte(0), `overdue principal and spread are not negative on ${day.date}`);
    return { ...day, exactInterest: dayInterest(day.overduePrincipal.amount, day.spread, day.dayCount, day.date) };
  });
  const exactInterest = quantizeInterest(days.reduce((sum, day) => sum.plus(day.exactInterest), new D(0)));
  const due = Money.of(exactInterest.plus(carried), input.currency);
  const posted = due.roundToScale();
  const carriedRemainder = due.minus(posted).amount;
  assert(carriedRemainder.abs().lte(halfMinorUnit) && isAtInterestScale(carriedRemainder), 'default interest carries at most half a minor unit');
  return { days, carriedIn: carried, exactInterest, posted, carriedRemainder };
}
