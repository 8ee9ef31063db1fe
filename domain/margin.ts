/**
 * Margin-call decision and the amounts that cure a call.
 *
 * LTV = outstanding principal ÷ collateral value. Thresholds are compared by
 * cross-multiplying (outstanding vs threshold × collateral), which is exact,
 * instead of dividing first, which is not (2 ÷ 3 has no finite decimal) and
 * could put a line exactly at a threshold on the wrong side of it.
 */
import { Decimal } from 'decimal.js';
import { assert } from './errors';
import { D, Money, minorUnit } from './money';

export type MarginDecision = 'NONE' | 'OPEN_MARGIN_CALL' | 'KEEP_OPEN' | 'CURE' | 'LIQUIDATE';

export interface MarginThresholds {
  marginCallLtv: Decimal;
  liquidationLtv: Decimal;
  targetLtv: Decimal;
}

export interface MarginPosition {
  outstandingPrincipal: Money;
  collateralValue: Money;
}

/**
 * - LIQUIDATE whenever LTV ≥ liquidationLtv, call open or not.
 * - No open call: OPEN_MARGIN_CALL when LTV > marginCallLtv, else NONE.
 * - Open call: CURE once LTV ≤ targetLtv, else KEEP_OPEN. The gap between
 *   target and margin-call LTV is hysteresis: a line hovering around the
 *   margin-call threshold does not open and close a call on every price tick.
 */
export function marginDecision(input: MarginPosition & MarginThresholds & { openCall: boolean }): MarginDecision {
  assertThresholdsOrdered(input);
  if (compareLtv(input, input.liquidationLtv) >= 0) return 'LIQUIDATE';
  if (input.openCall) return compareLtv(input, input.targetLtv) <= 0 ? 'CURE' : 'KEEP_OPEN';
  return compareLtv(input, input.marginCallLtv) > 0 ? 'OPEN_MARGIN_CALL' : 'NONE';
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

export interface CureAmounts {
  /** Principal to repay so that LTV ≤ target with the current collateral. */
  repayment: Money;
  /**
   * Collateral value (after haircut) to add so that LTV ≤ target with the
   * current principal, i.e. goods of market value additionalCollateralValue ÷ (1 − haircut).
   */
  additionalCollateralValue: Money;
}

/**
 * Either amount alone cures the call:
 *   repayment                 = outstanding − target × collateral
 *   additionalCollateralValue = outstanding ÷ target − collateral
 * both floored at zero (a line already at or below target needs nothing).
 *
 * Both are rounded UP to the currency's minor unit: the seller pays whole
 * minor units, and rounding down would leave LTV a fraction above target, so
 * that paying exactly what we asked would not cure the call.
 */
export function cureAmounts(input: MarginPosition & { targetLtv: Decimal }): CureAmounts {
  const { outstandingPrincipal, collateralValue, targetLtv } = input;
  assertPosition(input);
  assert(targetLtv.gt(0), `targetLtv is greater than 0; got ${targetLtv.toString()}`);
  const currency = outstandingPrincipal.currency;
  const zero = Money.zero(currency);
  const exactRepayment = outstandingPrincipal.minus(collateralValue.times(targetLtv));
  const repayment = Money.max(zero, exactRepayment).roundToScale(Decimal.ROUND_CEIL);
  const additionalCollateralValue = collateralTopUp(input);
  return { repayment, additionalCollateralValue };
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

function assertThresholdsOrdered(thresholds: MarginThresholds): void {
  const { targetLtv, marginCallLtv, liquidationLtv } = thresholds;
  assert(
    targetLtv.gt(0) && targetLtv.lt(marginCallLtv) && marginCallLtv.lt(liquidationLtv),
    `0 < targetLtv < marginCallLtv < liquidationLtv; got ${targetLtv.toString()}, ${marginCallLtv.toString()}, ${liquidationLtv.toString()}`,
  );
}
