/**
 * What pledged goods are worth to the lender, and what the seller may draw.
 *
 *   marketValue     = quantity × price per unit
 *   collateralValue = marketValue × (1 − haircut)
 *   lendingValue    = collateralValue × advance rate   (0 when the lot is ineligible)
 *   borrowingBase   = Σ lendingValue of eligible lots
 *   availability    = min(limit, borrowingBase) − outstanding principal − reserved draws
 *   LTV             = outstanding principal ÷ collateral value
 *
 * No rounding happens here. These figures are summed over many lots and then
 * compared with limits, requested draws and LTV thresholds; rounding each lot
 * first would let per-lot rounding add up and flip a decision by a minor unit.
 * Amounts are rounded once, with `Money.roundToScale`, when they are posted or
 * shown.
 */
import type { Decimal } from 'decimal.js';
import { advanceRateFor, type CommodityCode, type CreditTerms } from './credit-terms';
import { assert } from './errors';
import { D, Money } from './money';

export type IneligibilityReason =
  | 'NO_MARK_IN_LINE_CURRENCY'
  | 'MARK_STALE'
  | 'COUNT_DIFFERENCE_FLAG'
  | 'QUALITY_HOLD'
  | 'STOCK_COUNT_OVERDUE'
  | 'WAREHOUSE_NOT_APPROVED';

export interface LotForValuation {
  /** In the lot's unit of measure, the same unit the price mark is per. */
  quantity: Decimal;
  commodityCode: CommodityCode;
  /** A stock count found a difference that is not yet resolved. */
  flaggedByCount: boolean;
  qualityHold: boolean;
  lastCountedAt: Date | null;
  pledgedAt: Date;
  /** The lot's warehouse is one the line's lender approved for this line (a custodian it trusts). */
  inApprovedWarehouse: boolean;
}

export interface PriceMark {
  pricePerUnit: Money;
  asOf: Date;
}

export type EligibilityTerms = Pick<CreditTerms, 'currency' | 'maxMarkAgeHours' | 'stockCountIntervalDays'>;

export type ValuationTerms = EligibilityTerms &
  Pick<CreditTerms, 'haircut' | 'defaultAdvanceRate' | 'advanceRatesByCommodity'>;

export type Eligibility = { eligible: true } | { eligible: false; reasons: IneligibilityReason[] };

export interface LotValuation {
  /** The price the lot was valued at; null when there is no mark in the line currency. */
  pricePerUnit: Money | null;
  marketValue: Money;
  collateralValue: Money;
  /** Zero when the lot is ineligible. */
  lendingValue: Money;
  eligible: boolean;
  reasons: IneligibilityReason[];
}

const MS_PER_HOUR = 60 * 60 * 1000;
// Days are 24-hour periods on the UTC timeline, so a count interval does not
// stretch or shrink across daylight-saving changes at the warehouse.
const MS_PER_DAY = 24 * MS_PER_HOUR;

export function lotEligibility(input: {
  lot: LotForValuation;
  mark: PriceMark | null;
  line: EligibilityTerms;
  now: Date;
}): Eligibility {
  const { lot, mark, line, now } = input;
  const reasons: IneligibilityReason[] = [];
  if (mark === null || mark.pricePerUnit.currency !== line.currency) {
    reasons.push('NO_MARK_IN_LINE_CURRENCY');
  } else if (isMarkStale(mark, line.maxMarkAgeHours, now)) {
    reasons.push('MARK_STALE');
  }
  if (lot.flaggedByCount) reasons.push('COUNT_DIFFERENCE_FLAG');
  if (lot.qualityHold) reasons.push('QUALITY_HOLD');
  if (isStockCountOverdue(lot, line.stockCountIntervalDays, now)) reasons.push('STOCK_COUNT_OVERDUE');
  if (!lot.inApprovedWarehouse) reasons.push('WAREHOUSE_NOT_APPROVED');
  return reasons.length === 0 ? { eligible: true } : { eligible: false, reasons };
}

/** Exactly `maxMarkAgeHours` old is still fresh; one millisecond more is stale. */
export function isMarkStale(mark: PriceMark, maxMarkAgeHours: number, now: Date): boolean {
  return now.getTime() - mark.asOf.getTime() > maxMarkAgeHours * MS_PER_HOUR;
}

/** A lot never counted since pledging is due one interval after it was pledged. */
export function isStockCountOverdue(
  lot: Pick<LotForValuation, 'lastCountedAt' | 'pledgedAt'>,
  stockCountIntervalDays: number,
  now: Date,
): boolean {
  const countedOrPledgedAt = lot.lastCountedAt ?? lot.pledgedAt;
  return now.getTime() - countedOrPledgedAt.getTime() > stockCountIntervalDays * MS_PER_DAY;
}

/**
 * Goods sold but not yet paid for are worth the lower of the latest mark and
 * the agreed sale price: the lender can count on the sale price at most, and
 * if the market falls and the buyer walks away, only the market price.
 */
export function effectivePrice(markPricePerUnit: Money, salePricePerUnit: Money | null): Money {
  return salePricePerUnit === null ? markPricePerUnit : Money.min(markPricePerUnit, salePricePerUnit);
}

/**
 * Values one lot (or one sold-but-unpaid part of a lot, when `salePricePerUnit`
 * is given). A stale mark still gives a market value, for information, but the
 * lot lends nothing; without a mark in the line currency everything is zero.
 */
export function valueLot(input: {
  lot: LotForValuation;
  mark: PriceMark | null;
  line: ValuationTerms;
  now: Date;
  salePricePerUnit?: Money | null;
}): LotValuation {
  const { lot, mark, line } = input;
  assertValuationInputs(lot, line);
  const eligibility = lotEligibility(input);
  const reasons = eligibility.eligible ? [] : eligibility.reasons;
  const zero = Money.zero(line.currency);
  if (mark === null || mark.pricePerUnit.currency !== line.currency) {
    return { pricePerUnit: null, marketValue: zero, collateralValue: zero, lendingValue: zero, eligible: false, reasons };
  }
  const pricePerUnit = effectivePrice(mark.pricePerUnit, input.salePricePerUnit ?? null);
  assert(!pricePerUnit.isNegative(), `a price per unit is zero or positive; got ${pricePerUnit.format()}`);
  const marketValue = pricePerUnit.times(lot.quantity);
  const collateralValue = marketValue.times(new D(1).minus(line.haircut));
  const lendingValue = eligibility.eligible
    ? collateralValue.times(advanceRateFor(line, lot.commodityCode))
    : zero;
  return { pricePerUnit, marketValue, collateralValue, lendingValue, eligible: eligibility.eligible, reasons };
}

function assertValuationInputs(lot: LotForValuation, line: ValuationTerms): void {
  assert(lot.quantity.isFinite() && lot.quantity.gte(0), `a lot quantity is zero or positive; got ${lot.quantity.toString()}`);
  assert(line.haircut.gte(0) && line.haircut.lt(1), `haircut is in [0, 1); got ${line.haircut.toString()}`);
  const rate = advanceRateFor(line, lot.commodityCode);
  assert(rate.gt(0) && rate.lte(1), `advance rate is in (0, 1]; got ${rate.toString()} for ${lot.commodityCode}`);
}

/** Σ lending value of eligible lots, in the line currency (zero for no lots). */
export function borrowingBase(valuations: readonly LotValuation[], currency: string): Money {
  return sumEligible(valuations, currency, (valuation) => valuation.lendingValue);
}

/**
 * Σ collateral value of eligible lots: the denominator of LTV. Goods that lend
 * nothing (stale mark, quality hold, count difference) do not count either, so
 * that an unreliable value can never hide a margin shortfall.
 */
export function eligibleCollateralValue(valuations: readonly LotValuation[], currency: string): Money {
  return sumEligible(valuations, currency, (valuation) => valuation.collateralValue);
}

function sumEligible(
  valuations: readonly LotValuation[],
  currency: string,
  pick: (valuation: LotValuation) => Money,
): Money {
  return valuations
    .filter((valuation) => valuation.eligible)
    .reduce((sum, valuation) => sum.plus(pick(valuation)), Money.zero(currency));
}

/**
 * What the seller may still draw. Negative means the line is over-advanced
 * (prices fell, lots became ineligible): that is reported as it is, never
 * clamped to zero, because the shortfall itself is what the lender must see.
 */
export function availability(input: {
  limit: Money;
  borrowingBase: Money;
  outstandingPrincipal: Money;
  /** Σ of approved-not-disbursed and pending draws. */
  reservedDraws: Money;
  /** On or after its maturity date the line lends nothing more (domain/delinquency.ts): no room, a shortfall still shown. */
  matured?: boolean;
}): Money {
  const { limit, borrowingBase: base, outstandingPrincipal, reservedDraws } = input;
  const room = Money.min(limit, base).minus(outstandingPrincipal).minus(reservedDraws);
  return input.matured ? Money.min(room, Money.zero(room.currency)) : room;
}

/**
 * Why nothing can be drawn (availability ≤ 0), or null when something can. A
 * line on or after its maturity date says MATURED first (a renewal, an
 * amendment of the maturity, lifts it). A limit cut below what is outstanding and reserved (an amendment) says so
 * first: it stops draws and breaks nothing else, and the seller sees why. A line with nothing drawn or reserved
 * and no borrowing base (nothing pledged yet, or every pledged lot ineligible) says NO_BORROWING_BASE, not
 * FULLY_DRAWN: the seller has drawn nothing, and what it can do is pledge eligible goods.
 */
export type NoAvailabilityReason = 'MATURED' | 'LIMIT_BELOW_OUTSTANDING' | 'BORROWING_BASE_BELOW_OUTSTANDING' | 'NO_BORROWING_BASE' | 'FULLY_DRAWN';

export function noAvailabilityReason(input: { limit: Money; borrowingBase: Money; outstandingPrincipal: Money; reservedDraws: Money; matured?: boolean }): NoAvailabilityReason | null {
  if (input.matured) return 'MATURED';
  const used = input.outstandingPrincipal.plus(input.reservedDraws);
  if (input.limit.lt(used)) return 'LIMIT_BELOW_OUTSTANDING';
  if (input.borrowingBase.lt(used)) return 'BORROWING_BASE_BELOW_OUTSTANDING';
  if (input.borrowingBase.isZero()) return 'NO_BORROWING_BASE';
  if (Money.min(input.limit, input.borrowingBase).equals(used)) return 'FULLY_DRAWN';
  return null;
}

/** Outstanding with no collateral at all has no finite LTV; nothing owed on nothing is 0. */
export type LoanToValue = { kind: 'finite'; value: Decimal } | { kind: 'infinite' };

export function ltv(input: { outstandingPrincipal: Money; collateralValue: Money }): LoanToValue {
  const { outstandingPrincipal, collateralValue } = input;
  assert(!outstandingPrincipal.isNegative(), `outstanding principal is zero or positive; got ${outstandingPrincipal.format()}`);
  assert(!collateralValue.isNegative(), `collateral value is zero or positive; got ${collateralValue.format()}`);
  assert(
    outstandingPrincipal.currency === collateralValue.currency,
    `outstanding principal and collateral value are in one currency; got ${outstandingPrincipal.currency} and ${collateralValue.currency}`,
  );
  if (collateralValue.isZero()) {
    return outstandingPrincipal.isZero() ? { kind: 'finite', value: new D(0) } : { kind: 'infinite' };
  }
  return { kind: 'finite', value: outstandingPrincipal.amount.dividedBy(collateralValue.amount) };
}
