/**
 * Interest billing (optional per line): the interest a line accrues is billed monthly on a day of the
 * month and is due a number of days later; billed interest unpaid after its due date is past due
 * (domain/delinquency.ts counts the line's days past due from the oldest unpaid amount, bills and the
 * maturity amount together).
 *
 * A line without billing (`interestBilling` null, the default) owes its interest at maturity, as before.
 * With `{ dayOfMonth, dueAfterDays }`, each day whose day of the month is the `dayOfMonth` of the terms in
 * force that day is a billing day B; the bill of B covers the days from the day after the previous bill's
 * period (or from the day the line opened) up to and including B − 1, its amount is exactly what the accrual
 * posted to INTEREST_RECEIVABLE for those days (ordinary interest, restatements and default interest), and
 * it is due on B + dueAfterDays. A bill of nothing (or less: a restatement that gave back more than the
 * period charged) is not written; its days roll into the next bill, so that Σ billed is always exactly what
 * was posted for the days billed.
 *
 * Payments settle bills oldest first, cumulatively: interest paid through the waterfall clears the oldest
 * interest first, so what is still owed of interest is its most recent part — first the interest not billed
 * yet, then the newest bills (`unpaidBilledInterest`, `allocateBillPayments`).
 */
import { addDays } from './delinquency';
import { assert } from './errors';
import { Money } from './money';

export interface InterestBilling {
  /** 1..28: the day of every month on which interest is billed (28 at most, so that every month has it). */
  dayOfMonth: number;
  /** 0..365: days from the billing day to the bill's due date. */
  dueAfterDays: number;
}

export const BILLING_DAY_OF_MONTH_MAX = 28;
export const BILLING_DUE_AFTER_DAYS_MAX = 365;

/** Problems with billing terms, as (field below `terms.interestBilling`, reason) pairs; empty when consistent. */
export function interestBillingProblems(billing: InterestBilling): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (!Number.isSafeInteger(billing.dayOfMonth) || billing.dayOfMonth < 1 || billing.dayOfMonth > BILLING_DAY_OF_MONTH_MAX) {
    problems.push({ field: 'dayOfMonth', reason: `${String(billing.dayOfMonth)} must be a whole day of the month from 1 to ${BILLING_DAY_OF_MONTH_MAX} (every month has it)` });
  }
  if (!Number.isSafeInteger(billing.dueAfterDays) || billing.dueAfterDays < 0 || billing.dueAfterDays > BILLING_DUE_AFTER_DAYS_MAX) {
    problems.push({ field: 'dueAfterDays', reason: `${String(billing.dueAfterDays)} must be a whole number of days from 0 to ${BILLING_DUE_AFTER_DAYS_MAX}` });
  }
  return problems;
}

/**
 * Billing added, a shorter time to pay, or a different day of the month (which cannot be ordered: it moves
 * some bills earlier) is worse for the seller; billing removed or a longer time to pay is not.
 */
export function interestBillingWorsenings(before: InterestBilling | null, after: InterestBilling | null): string[] {
  if (after === null) return [];
  if (before === null) return ['interestBilling'];
  const worse: string[] = [];
  if (after.dayOfMonth !== before.dayOfMonth) worse.push('interestBilling.dayOfMonth');
  if (after.dueAfterDays < before.dueAfterDays) worse.push('interestBilling.dueAfterDays');
  return worse;
}

/** Whether `date` ('YYYY-MM-DD') is a billing day under `billing` (the terms in force on `date`). */
export function isBillingDay(date: string, billing: InterestBilling | null): boolean {
  return billing !== null && Number(date.slice(8, 10)) === billing.dayOfMonth;
}

/** A bill's period and due date. */
export interface BillPeriod {
  billedOn: string;
  periodFrom: string;
  periodTo: string;
  dueDate: string;
}

/**
 * The bills due on the billing days from `firstCandidate` to `lastCandidate` (inclusive, 'YYYY-MM-DD'), in
 * order: each covers the days from `periodStart` (the day after the previous bill's period, or the day the
 * line opened) to the day before its billing day. `postedFor(from, to)` is what was posted for those days:
 * a bill of zero or less is not written and its days roll into the next one.
 */
export function billsDue(input: {
  periodStart: string;
  firstCandidate: string;
  lastCandidate: string;
  billingOn: (date: string) => InterestBilling | null;
  postedFor: (from: string, to: string) => Money;
}): (BillPeriod & { amount: Money })[] {
  const bills: (BillPeriod & { amount: Money })[] = [];
  let periodStart = input.periodStart;
  for (let day = input.firstCandidate; day <= input.lastCandidate; day = addDays(day, 1)) {
    const billing = input.billingOn(day);
    if (!isBillingDay(day, billing) || billing === null || day <= periodStart) continue;
    const periodTo = addDays(day, -1);
    const amount = input.postedFor(periodStart, periodTo);
    if (!amount.isPositive()) continue;
    assert(amount.isAtScale(), `a bill is what was posted, at the currency scale; got ${amount.toFixedString()}`);
    bills.push({ billedOn: day, periodFrom: periodStart, periodTo, dueDate: addDays(day, billing.dueAfterDays), amount });
    periodStart = day;
  }
  return bills;
}

/** A bill as the delinquency sees it: its due date and amount, oldest first. */
export interface DueBill {
  billedOn: string;
  dueDate: string;
  amount: Money;
}

/**
 * Billed interest still unpaid: the interest owed now is the most recent interest charged (payments clear the
 * oldest first), whose newest part is what was posted after the last bill's period (`notBilled`); the rest, at
 * most Σ billed and at most what is owed, is billed and unpaid.
 */
export function unpaidBilledInterest(input: { billed: Money; interestOwed: Money; notBilled: Money }): Money {
  const zero = Money.zero(input.billed.currency);
  const owed = Money.max(input.interestOwed, zero);
  const unpaid = Money.max(owed.minus(Money.max(input.notBilled, zero)), zero);
  return Money.min(unpaid, Money.min(input.billed, owed));
}

/**
 * Each bill's paid and unpaid parts when `paidTowardBills` settles them oldest first, cumulatively: the oldest
 * bills are paid in full, then one partly, the rest not at all. Each part is between zero and the bill.
 */
export function allocateBillPayments<B extends DueBill>(bills: readonly B[], paidTowardBills: Money): (B & { paid: Money; unpaid: Money })[] {
  assert(!paidTowardBills.isNegative(), `paid toward bills is not negative; got ${paidTowardBills.toFixedString()}`);
  let left = paidTowardBills;
  return bills.map((bill, index) => {
    assert(index === 0 || bills[index - 1].billedOn < bill.billedOn, 'bills are in billing-day order');
    assert(bill.amount.isPositive(), `a bill is positive; got ${bill.amount.toFixedString()} billed on ${bill.billedOn}`);
    const paid = Money.min(left, bill.amount);
    left = left.minus(paid);
    return { ...bill, paid, unpaid: bill.amount.minus(paid) };
  });
}

/** The bills' parts given what of them is unpaid in total (the newest bills carry it). */
export function billsWithPayments<B extends DueBill>(bills: readonly B[], unpaidBilled: Money): (B & { paid: Money; unpaid: Money })[] {
  const billed = bills.reduce((sum, bill) => sum.plus(bill.amount), Money.zero(unpaidBilled.currency));
  assert(!unpaidBilled.isNegative() && unpaidBilled.lte(billed), `unpaid billed interest ${unpaidBilled.toFixedString()} is between 0 and Σ billed ${billed.toFixedString()}`);
  return allocateBillPayments(bills, billed.minus(unpaidBilled));
}

/** Due date of the oldest bill not paid in full; null when every bill is paid. */
export function oldestUnpaidBillDueDate(bills: readonly { dueDate: string; unpaid: Money }[]): string | null {
  return bills.find((bill) => bill.unpaid.isPositive())?.dueDate ?? null;
}
