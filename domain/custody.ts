/**
 * Custody rules over plain values: how much may leave, how a lot splits, what
 * an adjustment or a stock count does to a quantity, and when a lot may be
 * unpledged. No I/O; the store locks the rows and calls these with what it read.
 *
 * Quantities are exact decimals in the lot's unit. A rule that is broken is
 * refused (BusinessRuleError), never clamped.
 */
import type { Decimal } from 'decimal.js';
import { BusinessRuleError, ValidationError, assert } from './errors';
import { D, type Money } from './money';

function assertQuantity(value: Decimal, what: string): void {
  assert(value.isFinite() && value.gte(0), `${what} is zero or positive; got ${value.toString()}`);
}

/**
 * A release may take at most what the lot holds and what the release order
 * still allows (authorised minus already released).
 */
export function checkRelease(input: {
  quantityHeld: Decimal;
  quantityAuthorised: Decimal;
  quantityAlreadyReleased: Decimal;
  quantityRequested: Decimal;
  unit: string;
}): { quantityAfter: Decimal; orderRemainingAfter: Decimal } {
  const { quantityHeld, quantityAuthorised, quantityAlreadyReleased, quantityRequested, unit } = input;
  assertQuantity(quantityHeld, 'quantity held');
  assertQuantity(quantityAlreadyReleased, 'quantity already released');
  assert(quantityAlreadyReleased.lte(quantityAuthorised), 'an order never releases more than it authorises');
  if (!quantityRequested.gt(0)) throw new ValidationError('body.quantity', 'must be greater than zero');
  const orderRemaining = quantityAuthorised.minus(quantityAlreadyReleased);
  if (quantityRequested.gt(orderRemaining)) {
    throw new BusinessRuleError(
      'release_exceeds_authorisation',
      `the release order allows ${orderRemaining.toString()} ${unit} more (authorised ${quantityAuthorised.toString()}, released ${quantityAlreadyReleased.toString()}); requested ${quantityRequested.toString()} ${unit}`,
    );
  }
  if (quantityRequested.gt(quantityHeld)) {
    throw new BusinessRuleError(
      'release_exceeds_quantity_held',
      `the lot holds ${quantityHeld.toString()} ${unit}; requested ${quantityRequested.toString()} ${unit}`,
    );
  }
  return { quantityAfter: quantityHeld.minus(quantityRequested), orderRemainingAfter: orderRemaining.minus(quantityRequested) };
}

/** An order (instruction or authorisation) may not ask for more than the lot holds now. */
export function checkReleaseOrderQuantity(input: { quantityHeld: Decimal; quantityRequested: Decimal; unit: string }): void {
  const { quantityHeld, quantityRequested, unit } = input;
  if (!quantityRequested.gt(0)) throw new ValidationError('body.quantity', 'must be greater than zero');
  if (quantityRequested.gt(quantityHeld)) {
    throw new BusinessRuleError(
      'release_exceeds_quantity_held',
      `the lot holds ${quantityHeld.toString()} ${unit}; a release of ${quantityRequested.toString()} ${unit} cannot be ordered`,
    );
  }
}

/** Splitting moves part of a lot into a new lot: both parts positive, summing to the whole. */
export function splitQuantities(quantityHeld: Decimal, quantitySplitOff: Decimal, unit: string): { remaining: Decimal; splitOff: Decimal } {
  assertQuantity(quantityHeld, 'quantity held');
  if (!quantitySplitOff.gt(0)) throw new ValidationError('body.quantity', 'must be greater than zero');
  if (!quantitySplitOff.lt(quantityHeld)) {
    throw new BusinessRuleError(
      'split_not_smaller_than_lot',
      `a split takes part of the lot: less than the ${quantityHeld.toString()} ${unit} held; requested ${quantitySplitOff.toString()} ${unit}`,
    );
  }
  const remaining = quantityHeld.minus(quantitySplitOff);
  assert(remaining.plus(quantitySplitOff).eq(quantityHeld), 'split parts sum to the whole');
  return { remaining, splitOff: quantitySplitOff };
}

export const ADJUSTMENT_KINDS = ['SHRINKAGE', 'SPOILAGE', 'DAMAGE', 'COUNT_DIFFERENCE', 'CORRECTION'] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];

/** An adjustment changes the quantity by a signed delta with a reason; the result is never negative. */
export function adjustQuantity(input: { quantityHeld: Decimal; quantityDelta: Decimal; reason: string; unit: string }): Decimal {
  const { quantityHeld, quantityDelta, reason, unit } = input;
  assertQuantity(quantityHeld, 'quantity held');
  if (reason.trim().length === 0) throw new ValidationError('body.reason', 'is required: say why the quantity changed');
  if (quantityDelta.isZero()) throw new ValidationError('body.quantityDelta', 'must not be zero');
  const after = quantityHeld.plus(quantityDelta);
  if (after.isNegative()) {
    throw new BusinessRuleError(
      'adjustment_below_zero',
      `the lot holds ${quantityHeld.toString()} ${unit}; an adjustment of ${quantityDelta.toString()} ${unit} would leave ${after.toString()} ${unit}`,
    );
  }
  return after;
}

/**
 * A stock count sets the quantity to what was counted. A difference becomes an
 * adjustment (delta = counted − held) and flags the lot until a later count
 * matches; a matching count clears the flag.
 */
export function stockCountOutcome(quantityHeld: Decimal, quantityCounted: Decimal): { quantityDelta: Decimal; flagged: boolean } {
  assertQuantity(quantityHeld, 'quantity held');
  if (quantityCounted.isNegative()) throw new ValidationError('body.countedQuantity', 'must not be negative');
  const quantityDelta = quantityCounted.minus(quantityHeld);
  return { quantityDelta, flagged: !quantityDelta.isZero() };
}

/**
 * A lot that still secures outstanding principal leaves its lien only with the
 * lender's consent, and only if availability afterwards is not negative.
 * `availabilityAfter` = min(limit, borrowing base without the lot) − outstanding − reserved.
 */
export function checkUnpledge(input: { outstandingPrincipal: Money; lenderConsents: boolean; availabilityAfter: Money }): void {
  const { outstandingPrincipal, lenderConsents, availabilityAfter } = input;
  if (outstandingPrincipal.isZero()) return;
  if (!lenderConsents) {
    throw new BusinessRuleError(
      'lender_consent_required',
      `the line has ${outstandingPrincipal.format()} outstanding; the lender must consent before this lot is unpledged`,
    );
  }
  if (availabilityAfter.isNegative()) {
    throw new BusinessRuleError(
      'unpledge_leaves_availability_negative',
      `without this lot availability would be ${availabilityAfter.format()}; it must stay zero or more (repay or pledge other goods first)`,
    );
  }
}

export const ZERO_QUANTITY = new D(0);
