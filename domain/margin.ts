/**
 * Margin-call decision and the amounts that cure a call.
 *
 * LTV = outstanding principal ÷ collateral value. Thresholds are compared by
 * cross-multiplying (outstanding vs threshold × collateral), which is exact,
 * instead of dividing first, which is not (2 ÷ 3 has no finite decimal) and
 * could put a line exactly at a threshold on the wrong side of it.
 *
 * Two collateral figures take part, because an ineligible lot is not a price:
 * - the ELIGIBLE collateral value (lots that lend: fresh mark, no hold, count
 *   not overdue, no count difference) is what a call is opened on and cured to;
 * - the MARKED collateral value (every pledged lot at its latest mark, eligible
 *   or not) tells whether a shortfall comes from the price or only from
 *   ineligibility, and — when every pledged lot has a fresh mark — is the
 *   priced LTV that alone may start a liquidation at once.
 * A mark that goes stale, a count that falls due or a quality hold therefore
 * opens at most a call with the normal cure period; it never liquidates.
 */
import { Decimal } from 'decimal.js';
import { assert } from './errors';
import { D, Money, minorUnit } from './money';
import type { WaterfallStep } from './waterfall';

export type MarginDecision = 'NONE' | 'OPEN_MARGIN_CALL' | 'KEEP_OPEN' | 'CURE' | 'LIQUIDATE';

/**
 * Why a call is open. LTV_ABOVE_MARGIN_CALL: even valued at the latest marks of
 * every pledged lot, LTV is above the margin-call threshold (the price fell).
 * INELIGIBLE_COLLATERAL: the goods would cover the line, but some of them do
 * not count now (stale or missing mark, overdue count, quality hold, count
 * difference); making them eligible again cures the call.
 */
export type ShortfallCause = 'LTV_ABOVE_MARGIN_CALL' | 'INELIGIBLE_COLLATERAL';

export interface MarginThresholds {
  marginCallLtv: Decimal;
  liquidationLtv: Decimal;
  targetLtv: Decimal;
}

export interface MarginPosition {
  outstandingPrincipal: Money;
  /** Eligible collateral value (after haircut): the denominator of the line's LTV. */
  collateralValue: Money;
}

export interface CollateralPricing {
  /** Collateral value (after haircut) of every pledged lot at its latest mark, eligible or not; a lot with no mark adds 0. */
  markedCollateralValue: Money;
  /** Pledged lots with no mark in the line currency or only a stale one. */
  unpricedLotCount: number;
}

export interface MarginDecisionInput extends MarginPosition, CollateralPricing, MarginThresholds {
  /** The line's OPEN call, if any (a line in liquidation is not decided here). */
  openCall: { cause: ShortfallCause } | null;
}

export interface MarginOutcome {
  decision: MarginDecision;
  /** For OPEN_MARGIN_CALL and KEEP_OPEN, why the call is (still) open; otherwise null. */
  cause: ShortfallCause | null;
}

/**
 * The decision table (E = eligible LTV, M = LTV at the latest marks of every pledged lot):
 * - LIQUIDATE when every pledged lot has a fresh mark and M ≥ liquidationLtv, call open or not.
 *   With any lot stale or unpriced there is no priced LTV, and nothing liquidates at once.
 * - No open call: OPEN_MARGIN_CALL when E > marginCallLtv (cause: the price when M > marginCallLtv
 *   too, else ineligibility), else NONE.
 * - Open call: CURE once E ≤ targetLtv; a call open only for ineligibility also cures once
 *   E ≤ marginCallLtv (the goods count again: a fresh mark, a count, a hold released). Else
 *   KEEP_OPEN; a call open for ineligibility becomes a price call once M > marginCallLtv.
 *   The gap between target and margin-call LTV is hysteresis for price calls: a line hovering
 *   around the threshold does not open and close a call on every price tick.
 */
export function marginDecision(input: MarginDecisionInput): MarginOutcome {
  assertThresholdsOrdered(input);
  assertPricing(input);
  const marked = { outstandingPrincipal: input.outstandingPrincipal, collateralValue: input.markedCollateralValue };
  if (input.unpricedLotCount === 0 && compareLtv(marked, input.liquidationLtv) >= 0) return { decision: 'LIQUIDATE', cause: null };
  const aboveMarginCall = compareLtv(input, input.marginCallLtv) > 0;
  const priceCause = compareLtv(marked, input.marginCallLtv) > 0;
  if (input.openCall === null) {
    if (!aboveMarginCall) return { decision: 'NONE', cause: null };
    return { decision: 'OPEN_MARGIN_CALL', cause: priceCause ? 'LTV_ABOVE_MARGIN_CALL' : 'INELIGIBLE_COLLATERAL' };
  }
  const cause: ShortfallCause = input.openCall.cause === 'LTV_ABOVE_MARGIN_CALL' || priceCause ? 'LTV_ABOVE_MARGIN_CALL' : 'INELIGIBLE_COLLATERAL';
  if (compareLtv(input, input.targetLtv) <= 0) return { decision: 'CURE', cause: null };
  if (cause === 'INELIGIBLE_COLLATERAL' && !aboveMarginCall) return { decision: 'CURE', cause: null };
  return { decision: 'KEEP_OPEN', cause };
}

/**
 * Sign of (LTV − threshold), exactly. Nothing owed on no collateral is LTV 0;
 * something owed on no collateral is above every threshold.
 */
export function compareLtv(position: MarginPosition, threshold: Decimal): -1 | 0 | 1 {
  const { outstandingPrincipal, collateralValue } = position;
  assertPosition(position);
  if (collateralValue.isZero()) {
    return outstandingPrincipal.isZero() ? (new D(0).comparedTo(threshold) as -1 | 0 | 1) : 1;
  }
  return outstandingPrincipal.compare(collateralValue.times(threshold));
}

/** What the line owes ahead of principal, and its waterfall order: a repayment pays those first. */
export interface OwedBesidesPrincipal {
  waterfallOrder: readonly WaterfallStep[];
  feesReceivable: Money;
  interestReceivable: Money;
}

export interface CureAmounts {
  /**
   * The repayment that alone cures the call through the line's waterfall: what
   * is owed ahead of principal (by default fees and interest) plus the
   * principal reduction that brings LTV to target. Zero when nothing is needed.
   */
  repayment: Money;
  /** The part of `repayment` that reduces principal. */
  principalReduction: Money;
  /**
   * Collateral value (after haircut) to add so that LTV ≤ target with the
   * current principal, i.e. goods of market value additionalCollateralValue ÷ (1 − haircut).
   */
  additionalCollateralValue: Money;
}

/**
 * Either amount alone cures the call:
 *   principalReduction        = outstanding − target × collateral
 *   repayment                 = owed ahead of principal + principalReduction
 *   additionalCollateralValue = outstanding ÷ target − collateral
 * each floored at zero (a line already at or below target needs nothing).
 *
 * Rounded UP to the currency's minor unit: the seller pays whole minor units,
 * and rounding down would leave LTV a fraction above target, so that paying
 * exactly what we asked would not cure the call.
 */
export function cureAmounts(input: MarginPosition & { targetLtv: Decimal; owed: OwedBesidesPrincipal }): CureAmounts {
  const { outstandingPrincipal, collateralValue, targetLtv, owed } = input;
  assertPosition(input);
  assert(targetLtv.gt(0), `targetLtv is greater than 0; got ${targetLtv.toString()}`);
  const currency = outstandingPrincipal.currency;
  const zero = Money.zero(currency);
  const exactReduction = outstandingPrincipal.minus(collateralValue.times(targetLtv));
  const principalReduction = Money.max(zero, exactReduction).roundToScale(Decimal.ROUND_CEIL);
  const repayment = principalReduction.isZero() ? zero : owedAheadOfPrincipal(owed, currency).plus(principalReduction);
  const additionalCollateralValue = collateralTopUp(input);
  return { repayment, principalReduction, additionalCollateralValue };
}

/** Σ of what the waterfall pays before PRINCIPAL. */
export function owedAheadOfPrincipal(owed: OwedBesidesPrincipal, currency: string): Money {
  const principalAt = owed.waterfallOrder.indexOf('PRINCIPAL');
  assert(principalAt >= 0, `the waterfall order names PRINCIPAL; got [${owed.waterfallOrder.join(', ')}]`);
  let ahead = Money.zero(currency);
  for (const step of owed.waterfallOrder.slice(0, principalAt)) {
    const amount = step === 'FEES' ? owed.feesReceivable : owed.interestReceivable;
    assert(amount.currency === currency && !amount.isNegative() && amount.isAtScale(), `${step} owed is a non-negative ${currency} amount at scale; got ${amount.format()}`);
    ahead = ahead.plus(amount);
  }
  return ahead;
}

function collateralTopUp(input: MarginPosition & { targetLtv: Decimal }): Money {
  const { outstandingPrincipal, collateralValue, targetLtv } = input;
  const zero = Money.zero(outstandingPrincipal.currency);
  // The quotient is rounded to D's precision, possibly down by a hair; the
  // exact check below catches the case where that hair crosses a minor unit.
  const requiredCollateral = Money.of(outstandingPrincipal.amount.dividedBy(targetLtv), outstandingPrincipal.currency);
  let topUp = Money.max(zero, requiredCollateral.minus(collateralValue)).roundToScale(Decimal.ROUND_CEIL);
  if (!curesWithCollateral(input, topUp)) {
    topUp = topUp.plus(Money.of(minorUnit(topUp.currency), topUp.currency));
  }
  assert(curesWithCollateral(input, topUp), `adding ${topUp.format()} of collateral value brings LTV to at most ${targetLtv.toString()}`);
  return topUp;
}

function curesWithCollateral(input: MarginPosition & { targetLtv: Decimal }, topUp: Money): boolean {
  const position = { outstandingPrincipal: input.outstandingPrincipal, collateralValue: input.collateralValue.plus(topUp) };
  return compareLtv(position, input.targetLtv) <= 0;
}

/** When an open margin call that has not been cured turns into liquidation. */
export function cureDeadline(openedAt: Date, curePeriodHours: number): Date {
  assert(Number.isSafeInteger(curePeriodHours) && curePeriodHours > 0, `curePeriodHours is a whole number above 0; got ${curePeriodHours}`);
  return new Date(openedAt.getTime() + curePeriodHours * 60 * 60 * 1000);
}

function assertPosition(position: MarginPosition): void {
  const { outstandingPrincipal, collateralValue } = position;
  assert(
    outstandingPrincipal.currency === collateralValue.currency,
    `outstanding principal and collateral value are in one currency; got ${outstandingPrincipal.currency} and ${collateralValue.currency}`,
  );
  assert(!outstandingPrincipal.isNegative(), `outstanding principal is zero or positive; got ${outstandingPrincipal.format()}`);
  assert(!collateralValue.isNegative(), `collateral value is zero or positive; got ${collateralValue.format()}`);
}

function assertPricing(input: MarginPosition & CollateralPricing): void {
  assert(Number.isSafeInteger(input.unpricedLotCount) && input.unpricedLotCount >= 0, `unpricedLotCount is a whole number ≥ 0; got ${input.unpricedLotCount}`);
  assert(
    input.markedCollateralValue.gte(input.collateralValue),
    `marked collateral value ${input.markedCollateralValue.format()} includes the eligible collateral value ${input.collateralValue.format()}`,
  );
}

function assertThresholdsOrdered(thresholds: MarginThresholds): void {
  const { targetLtv, marginCallLtv, liquidationLtv } = thresholds;
  assert(
    targetLtv.gt(0) && targetLtv.lt(marginCallLtv) && marginCallLtv.lt(liquidationLtv),
    `0 < targetLtv < marginCallLtv < liquidationLtv; got ${targetLtv.toString()}, ${marginCallLtv.toString()}, ${liquidationLtv.toString()}`,
  );
}
