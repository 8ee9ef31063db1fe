/**
 * Credit-line terms and the rules that make a set of terms consistent.
 *
 * Rates (advance rates, haircut, interest, LTV thresholds) are fractions:
 * 0.5 means 50 %. The one exception is `PERCENT_OF_PROCEEDS.percent`, whose
 * name says its unit: 1.5 means 1.5 % of proceeds.
 *
 * `validateCreditTerms` reports every problem at once (rather than throwing on
 * the first) so that a lender setting up a line can fix them all in one go;
 * the API edge turns the list into problem+json field errors.
 */
import type { Decimal } from 'decimal.js';
import { concentrationLimitProblems, type ConcentrationLimits } from './concentration';
import { DAY_COUNTS, type DayCount } from './day-count';
import { delinquencyTermsProblems, type DelinquencyTerms } from './delinquency';
import { interestBillingProblems, type InterestBilling } from './interest-billing';
import { D, Money, isCurrency } from './money';

export type CommodityCode = string;
export type { DayCount } from './day-count';
export type WaterfallBucket = 'FEES' | 'INTEREST' | 'PRINCIPAL';

export const WATERFALL_BUCKETS: readonly WaterfallBucket[] = ['FEES', 'INTEREST', 'PRINCIPAL'];

/**
 * Fee charged when goods are sold: a number of days of storage, or a share of the proceeds.
 * A storage rate is per `unit` of goods per day; goods held in another unit cannot be charged by it.
 */
export type OnSaleFee =
  | { kind: 'STORAGE_DAYS'; days: number; dailyStorageRatePerUnit: Money; unit: string }
  | { kind: 'PERCENT_OF_PROCEEDS'; percent: Decimal };

/** `null` means "no such fee"; a fee that exists is strictly positive, so there is one way to say "none". */
export interface FeeSchedule {
  onSale: OnSaleFee | null;
  perDraw: Money | null;
}

/** Draws up to and including `autoApproveUpTo` need no approver; up to `singleApproverUpTo` one; above, two. */
export interface ApprovalThresholds {
  autoApproveUpTo: Money;
  singleApproverUpTo: Money;
}

/**
 * Floating interest (domain/interest-rate.ts): each day accrues at
 * max(fixing, floor) + spread, never below zero, where the fixing is the
 * lender's reference rate in force that day. Fractions per year.
 */
export interface FloatingRate {
  /** A reference rate the line's lender registered (SOFR, EURIBOR 3M, LPR 1Y…). */
  referenceRateId: string;
  spread: Decimal;
  /** A floor on the reference rate (0 for the usual "SOFR floor of 0 %"); null for none. */
  floor: Decimal | null;
}

export interface CreditTerms {
  currency: string;
  limit: Money;
  defaultAdvanceRate: Decimal;
  advanceRatesByCommodity: Readonly<Record<CommodityCode, Decimal>>;
  haircut: Decimal;
  /** The fixed rate; not used while `floatingRate` is set. */
  annualInterestRate: Decimal;
  /** Set: the line's rate floats over a reference rate (its rate basis is itself a term, amendable); null or absent: fixed. */
  floatingRate?: FloatingRate | null;
  dayCount: DayCount;
  feeSchedule: FeeSchedule;
  maxMarkAgeHours: number;
  marginCallLtv: Decimal;
  liquidationLtv: Decimal;
  targetLtv: Decimal;
  curePeriodHours: number;
  stockCountIntervalDays: number;
  /** Calendar date 'YYYY-MM-DD': from it no draws, and everything owed is due (domain/delinquency.ts). */
  maturityDate: string;
  /** Grace period, default interest and default (domain/delinquency.ts); absent or null: NO_DELINQUENCY_TERMS. */
  delinquency?: DelinquencyTerms | null;
  /** Interest billed monthly on a day of the month, due after a number of days (domain/interest-billing.ts); absent or null: interest is due at maturity. */
  interestBilling?: InterestBilling | null;
  approvalThresholds: ApprovalThresholds;
  approvalWindowHours: number;
  waterfallOrder: readonly WaterfallBucket[];
  /** The largest share of the borrowing base one commodity, warehouse or lot may provide (domain/concentration.ts); absent or null: none. */
  concentrationLimits?: ConcentrationLimits | null;
}

export interface TermsProblem {
  /** Path of the offending value, e.g. 'terms.targetLtv'. */
  field: string;
  reason: string;
}

/**
 * Above 150 % LTV the lender is long past recovering the loan from the goods;
 * a higher liquidation threshold is almost certainly a typo (150 for 1.5).
 */
export const LIQUIDATION_LTV_MAX = new D('1.5');

const ROOT = 'terms';
const ZERO = new D(0);
const ONE = new D(1);
const HUNDRED = new D(100);

type Problems = TermsProblem[];

function problem(problems: Problems, field: string, reason: string): void {
  problems.push({ field: `${ROOT}.${field}`, reason });
}

/** Every problem with `terms`; an empty list means the terms are consistent. */
export function validateCreditTerms(terms: CreditTerms): TermsProblem[] {
  const problems: Problems = [];
  checkCurrency(problems, terms);
  checkLimit(problems, terms);
  checkAdvanceRates(problems, terms);
  checkHaircutAndInterest(problems, terms);
  checkDayCount(problems, terms);
  checkFloatingRate(problems, terms);
  checkFeeSchedule(problems, terms);
  checkLtvThresholds(problems, terms);
  checkDurations(problems, terms);
  checkMaturityDate(problems, terms);
  if (terms.delinquency) for (const found of delinquencyTermsProblems(terms.delinquency)) problem(problems, `delinquency.${found.field}`, found.reason);
  if (terms.interestBilling) for (const found of interestBillingProblems(terms.interestBilling)) problem(problems, `interestBilling.${found.field}`, found.reason);
  checkApprovalThresholds(problems, terms);
  checkWaterfallOrder(problems, terms);
  for (const found of concentrationLimitProblems(concentrationLimitsOf(terms))) problem(problems, found.field, found.reason);
  return problems;
}

/** The advance rate that applies to a commodity on this line: its own rate if set, else the default. */
export function advanceRateFor(
  terms: Pick<CreditTerms, 'defaultAdvanceRate' | 'advanceRatesByCommodity'>,
  commodityCode: CommodityCode,
): Decimal {
  return Object.prototype.hasOwnProperty.call(terms.advanceRatesByCommodity, commodityCode)
    ? terms.advanceRatesByCommodity[commodityCode]
    : terms.defaultAdvanceRate;
}

/** The line's concentration limits, each null where none is set. */
export function concentrationLimitsOf(terms: Pick<CreditTerms, 'concentrationLimits'>): ConcentrationLimits {
  return terms.concentrationLimits ?? { commodity: null, warehouse: null, lot: null };
}

// ---------------------------------------------------------------------------
// Individual checks. Each pushes problems; none throws, so all are reported.

function checkCurrency(problems: Problems, terms: CreditTerms): void {
  if (!isCurrency(terms.currency)) {
    problem(problems, 'currency', `"${String(terms.currency)}" must be a supported ISO 4217 currency code, e.g. "USD"`);
  }
}

function checkLimit(problems: Problems, terms: CreditTerms): void {
  if (!moneyInLineCurrency(problems, 'limit', terms.limit, terms.currency)) return;
  if (!terms.limit.amount.gt(ZERO)) {
    problem(problems, 'limit', `${terms.limit.format()} must be greater than zero`);
  }
  checkAtCurrencyScale(problems, 'limit', terms.limit);
}

function checkAdvanceRates(problems: Problems, terms: CreditTerms): void {
  checkAdvanceRate(problems, 'defaultAdvanceRate', terms.defaultAdvanceRate);
  for (const [commodityCode, rate] of Object.entries(terms.advanceRatesByCommodity)) {
    const field = `advanceRatesByCommodity.${commodityCode}`;
    if (commodityCode.trim() === '') problem(problems, field, 'commodity code must not be blank');
    checkAdvanceRate(problems, field, rate);
  }
}

function checkAdvanceRate(problems: Problems, field: string, rate: Decimal): void {
  if (!isFiniteDecimal(rate) || !rate.gt(ZERO) || rate.gt(ONE)) {
    problem(problems, field, `${show(rate)} must be above 0 and at most 1 (a fraction: 0.5 means 50 %)`);
  }
}

function checkHaircutAndInterest(problems: Problems, terms: CreditTerms): void {
  const { haircut, annualInterestRate } = terms;
  if (!isFiniteDecimal(haircut) || haircut.lt(ZERO) || !haircut.lt(ONE)) {
    problem(problems, 'haircut', `${show(haircut)} must be at least 0 and below 1 (a fraction: 0.1 means 10 %)`);
  }
  if (!isFiniteDecimal(annualInterestRate) || annualInterestRate.lt(ZERO) || annualInterestRate.gt(ONE)) {
    problem(
      problems,
      'annualInterestRate',
      `${show(annualInterestRate)} must be between 0 and 1 inclusive (a fraction per year: 0.12 means 12 %)`,
    );
  }
}

/** Spread and floor are fractions per year between −1 and 1 (a spread may be negative, as a floor may be). */
function checkFloatingRate(problems: Problems, terms: CreditTerms): void {
  const floating = terms.floatingRate;
  if (!floating) return;
  for (const [field, value] of [['floatingRate.spread', floating.spread], ['floatingRate.floor', floating.floor]] as const) {
    if (value === null) continue;
    if (!isFiniteDecimal(value) || value.lt(ONE.negated()) || value.gt(ONE)) {
      problem(problems, field, `${show(value)} must be between -1 and 1 (a fraction per year: 0.0175 means 1.75 %)`);
    }
  }
}

function checkDayCount(problems: Problems, terms: CreditTerms): void {
  const allowed: readonly string[] = DAY_COUNTS;
  if (!allowed.includes(terms.dayCount)) {
    problem(problems, 'dayCount', `"${String(terms.dayCount)}" must be one of ${allowed.join(', ')}`);
  }
}

function checkFeeSchedule(problems: Problems, terms: CreditTerms): void {
  const { onSale, perDraw } = terms.feeSchedule;
  if (perDraw !== null && moneyInLineCurrency(problems, 'feeSchedule.perDraw', perDraw, terms.currency)) {
    if (!perDraw.amount.gt(ZERO)) {
      problem(problems, 'feeSchedule.perDraw', `${perDraw.format()} must be greater than zero; use null for no per-draw fee`);
    }
    checkAtCurrencyScale(problems, 'feeSchedule.perDraw', perDraw);
  }
  if (onSale === null) return;
  if (onSale.kind === 'STORAGE_DAYS') checkStorageDaysFee(problems, onSale, terms.currency);
  else checkPercentOfProceedsFee(problems, onSale.percent);
}

function checkStorageDaysFee(
  problems: Problems,
  fee: Extract<OnSaleFee, { kind: 'STORAGE_DAYS' }>,
  lineCurrency: string,
): void {
  checkPositiveInteger(problems, 'feeSchedule.onSale.days', fee.days);
  const field = 'feeSchedule.onSale.dailyStorageRatePerUnit';
  // A per-unit daily rate may be finer than the currency's minor unit (0.0004 USD/kg/day),
  // so only its sign is checked here; the fee itself is rounded when posted.
  if (moneyInLineCurrency(problems, field, fee.dailyStorageRatePerUnit, lineCurrency)) {
    if (!fee.dailyStorageRatePerUnit.amount.gt(ZERO)) {
      problem(problems, field, `${fee.dailyStorageRatePerUnit.format()} must be greater than zero; use onSale null for no fee`);
    }
  }
}

function checkPercentOfProceedsFee(problems: Problems, percent: Decimal): void {
  if (!isFiniteDecimal(percent) || !percent.gt(ZERO) || percent.gt(HUNDRED)) {
    problem(
      problems,
      'feeSchedule.onSale.percent',
      `${show(percent)} must be above 0 and at most 100 (in percent: 1.5 means 1.5 % of proceeds)`,
    );
  }
}

function checkLtvThresholds(problems: Problems, terms: CreditTerms): void {
  const { targetLtv, marginCallLtv, liquidationLtv } = terms;
  const finite = [
    ['targetLtv', targetLtv],
    ['marginCallLtv', marginCallLtv],
    ['liquidationLtv', liquidationLtv],
  ] as const;
  let allFinite = true;
  for (const [field, value] of finite) {
    if (!isFiniteDecimal(value)) {
      problem(problems, field, `${show(value)} must be a finite decimal`);
      allFinite = false;
    }
  }
  if (!allFinite) return;
  if (!targetLtv.gt(ZERO)) {
    problem(problems, 'targetLtv', `targetLtv ${show(targetLtv)} must be greater than 0`);
  }
  // A cure that leaves principal equal to the collateral is no cure; every margin call stores the
  // target, and the database refuses one of 1 or more (margin_call_target_ltv_range).
  if (!targetLtv.lt(ONE)) {
    problem(problems, 'targetLtv', `targetLtv ${show(targetLtv)} must be below 1 (a fraction: 0.45 means 45 %)`);
  }
  if (!targetLtv.lt(marginCallLtv)) {
    problem(problems, 'targetLtv', `targetLtv ${show(targetLtv)} must be below marginCallLtv ${show(marginCallLtv)}`);
  }
  if (!marginCallLtv.lt(liquidationLtv)) {
    problem(
      problems,
      'marginCallLtv',
      `marginCallLtv ${show(marginCallLtv)} must be below liquidationLtv ${show(liquidationLtv)}`,
    );
  }
  if (liquidationLtv.gt(LIQUIDATION_LTV_MAX)) {
    problem(
      problems,
      'liquidationLtv',
      `liquidationLtv ${show(liquidationLtv)} must be at most ${show(LIQUIDATION_LTV_MAX)} (a fraction: 1.5 means 150 %)`,
    );
  }
  checkLtvAgainstAdvanceRates(problems, terms);
}

/**
 * A fully drawn lot has LTV equal to its advance rate (lending value ÷ collateral
 * value). So an advance rate above marginCallLtv would let a seller draw straight
 * into a margin call, and a targetLtv above an advance rate would leave a cured
 * line still over its borrowing base.
 */
function checkLtvAgainstAdvanceRates(problems: Problems, terms: CreditTerms): void {
  const rates: Array<[string, Decimal]> = [
    ['defaultAdvanceRate', terms.defaultAdvanceRate],
    ...Object.entries(terms.advanceRatesByCommodity).map(
      ([code, rate]): [string, Decimal] => [`advanceRatesByCommodity.${code}`, rate],
    ),
  ];
  for (const [field, rate] of rates) {
    if (!isFiniteDecimal(rate)) continue;
    if (rate.gt(terms.marginCallLtv)) {
      problem(
        problems,
        field,
        `${field} ${show(rate)} must not exceed marginCallLtv ${show(terms.marginCallLtv)}, or a full draw would open a margin call at once`,
      );
    }
    if (terms.targetLtv.gt(rate)) {
      problem(
        problems,
        'targetLtv',
        `targetLtv ${show(terms.targetLtv)} must not exceed ${field} ${show(rate)}, or a cured line would still be over its borrowing base`,
      );
    }
  }
}

/**
 * Ten years: longer periods are typos, and the database computes with them
 * (now − stockCountIntervalDays, openedAt + curePeriodHours…), which leaves the
 * timestamp range long before INTEGER overflows and would fail every valuation.
 */
export const PERIOD_HOURS_MAX = 10 * 365 * 24;
export const PERIOD_DAYS_MAX = 10 * 365;

function checkDurations(problems: Problems, terms: CreditTerms): void {
  checkPeriod(problems, 'maxMarkAgeHours', terms.maxMarkAgeHours, PERIOD_HOURS_MAX, 'hours');
  checkPeriod(problems, 'curePeriodHours', terms.curePeriodHours, PERIOD_HOURS_MAX, 'hours');
  checkPeriod(problems, 'stockCountIntervalDays', terms.stockCountIntervalDays, PERIOD_DAYS_MAX, 'days');
  checkPeriod(problems, 'approvalWindowHours', terms.approvalWindowHours, PERIOD_HOURS_MAX, 'hours');
}

function checkPeriod(problems: Problems, field: string, value: number, max: number, unit: string): void {
  checkPositiveInteger(problems, field, value);
  if (Number.isSafeInteger(value) && value > max) problem(problems, field, `${String(value)} must be at most ${max} ${unit} (10 years)`);
}

function checkMaturityDate(problems: Problems, terms: CreditTerms): void {
  if (!isCalendarDate(terms.maturityDate)) {
    problem(problems, 'maturityDate', `"${terms.maturityDate}" must be a calendar date written YYYY-MM-DD, e.g. "2026-12-31"`);
  }
}

function checkApprovalThresholds(problems: Problems, terms: CreditTerms): void {
  const { autoApproveUpTo, singleApproverUpTo } = terms.approvalThresholds;
  const autoOk = moneyInLineCurrency(problems, 'approvalThresholds.autoApproveUpTo', autoApproveUpTo, terms.currency);
  const singleOk = moneyInLineCurrency(problems, 'approvalThresholds.singleApproverUpTo', singleApproverUpTo, terms.currency);
  if (autoOk && autoApproveUpTo.amount.lt(ZERO)) {
    problem(problems, 'approvalThresholds.autoApproveUpTo', `${autoApproveUpTo.format()} must not be negative; use 0 to approve nothing automatically`);
  }
  if (autoOk && singleOk && autoApproveUpTo.gt(singleApproverUpTo)) {
    problem(
      problems,
      'approvalThresholds.autoApproveUpTo',
      `autoApproveUpTo ${autoApproveUpTo.format()} must not exceed singleApproverUpTo ${singleApproverUpTo.format()}`,
    );
  }
  if (singleOk && terms.limit.currency === terms.currency && singleApproverUpTo.gt(terms.limit)) {
    problem(
      problems,
      'approvalThresholds.singleApproverUpTo',
      `singleApproverUpTo ${singleApproverUpTo.format()} must not exceed the limit ${terms.limit.format()}`,
    );
  }
}

function checkWaterfallOrder(problems: Problems, terms: CreditTerms): void {
  const order = terms.waterfallOrder;
  const sorted = [...order].sort();
  const expected = [...WATERFALL_BUCKETS].sort();
  const isPermutation = sorted.length === expected.length && sorted.every((bucket, i) => bucket === expected[i]);
  if (!isPermutation) {
    problem(
      problems,
      'waterfallOrder',
      `[${order.join(', ')}] must name each of ${WATERFALL_BUCKETS.join(', ')} exactly once, e.g. [FEES, INTEREST, PRINCIPAL]`,
    );
  }
}

// ---------------------------------------------------------------------------
// Helpers shared by the checks above.

/** Reports a currency mismatch and returns whether the amount can be compared with line amounts. */
function moneyInLineCurrency(problems: Problems, field: string, money: Money, lineCurrency: string): boolean {
  if (money.currency === lineCurrency) return true;
  problem(problems, field, `${money.format()} must be in the line currency ${lineCurrency}`);
  return false;
}

/** Amounts that are posted or compared with posted amounts must not carry sub-minor-unit digits. */
function checkAtCurrencyScale(problems: Problems, field: string, money: Money): void {
  if (!money.isAtScale()) {
    problem(problems, field, `${money.amount.toString()} ${money.currency} has more decimal places than ${money.currency} allows; use ${money.roundToScale().toFixedString()}`);
  }
}

function checkPositiveInteger(problems: Problems, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    problem(problems, field, `${String(value)} must be a whole number greater than 0`);
  }
}

function isFiniteDecimal(value: Decimal): boolean {
  return value.isFinite();
}

function show(value: Decimal): string {
  return value.toString();
}

function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
