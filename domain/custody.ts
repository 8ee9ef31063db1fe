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
      `the release order allows ${orderRemaining.toString()} ${unit} more (authorised ${quantityAuthorised.toString()}, released ${quantityAlreadyReleased.toString()}); requested ${quantityRequested.toString()} ${unit}`, 'body.quantity',
    );
  }
  if (quantityRequested.gt(quantityHeld)) {
    throw new BusinessRuleError(
      'release_exceeds_quantity_held',
      `the lot holds ${quantityHeld.toString()} ${unit}; requested ${quantityRequested.toString()} ${unit}`, 'body.quantity',
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
      `the lot holds ${quantityHeld.toString()} ${unit}; a release of ${quantityRequested.toString()} ${unit} cannot be ordered`, 'body.quantity',
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
      `a split takes part of the lot: less than the ${quantityHeld.toString()} ${unit} held; requested ${quantitySplitOff.toString()} ${unit}`, 'body.quantity',
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
      `the lot holds ${quantityHeld.toString()} ${unit}; an adjustment of ${quantityDelta.toString()} ${unit} would leave ${after.toString()} ${unit}`, 'body.quantityDelta',
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
 * A lot that secures an exposure (outstanding principal or a reserved draw)
 * leaves its lien only with the lender's consent, and only if availability
 * afterwards is not negative (requireCoverageKept). With no exposure at all
 * the seller may take its goods back.
 */
export function checkUnpledge(input: { before: LineCoverage; after: LineCoverage; lenderConsents: boolean }): void {
  const { before, after, lenderConsents } = input;
  const exposure = lineExposure(before);
  if (exposure.isZero()) return;
  if (!lenderConsents) {
    throw new BusinessRuleError(
      'lender_consent_required',
      `the line has ${before.outstandingPrincipal.roundToScale().format()} outstanding and ${before.reservedDraws.roundToScale().format()} in reserved draws; the lender must consent before this lot is unpledged`,
    );
  }
  requireCoverageKept({ operation: 'unpledge', before, after });
}

export const ZERO_QUANTITY = new D(0);

// ─── Free quantity: what is sold or authorised is reserved ───────────────────

/**
 * A claim on part of a lot that has not left yet: a live sale's item (sold and
 * not yet released) or an open release order that no sale stands behind
 * (authorised and not yet confirmed). `outstanding` is what the claim still
 * expects to leave the lot.
 */
export interface LotReservation {
  kind: 'SALE_ITEM' | 'RELEASE_ORDER';
  /** The sale item's or the release order's id. */
  id: string;
  saleId: string | null;
  releaseOrderId: string | null;
  outstanding: Decimal;
  /** Orders the claims: the newest claim is the first to go short. */
  createdAt: Date;
}

export interface FreeQuantity {
  held: Decimal;
  soldNotReleased: Decimal;
  authorisedNotConfirmed: Decimal;
  free: Decimal;
}

/** free = held − sold and not yet released − authorised and not yet confirmed. */
export function freeQuantity(held: Decimal, reservations: readonly LotReservation[]): FreeQuantity {
  assertQuantity(held, 'quantity held');
  let soldNotReleased = new D(0);
  let authorisedNotConfirmed = new D(0);
  for (const reservation of reservations) {
    assertQuantity(reservation.outstanding, `outstanding quantity of ${reservation.kind} ${reservation.id}`);
    if (reservation.kind === 'SALE_ITEM') soldNotReleased = soldNotReleased.plus(reservation.outstanding);
    else authorisedNotConfirmed = authorisedNotConfirmed.plus(reservation.outstanding);
  }
  return { held, soldNotReleased, authorisedNotConfirmed, free: held.minus(soldNotReleased).minus(authorisedNotConfirmed) };
}

/**
 * Taking `quantityRequested` out of the lot (a split, an unpledge of the whole
 * lot, a new sale or a new release order) may use only its free quantity.
 */
export function requireFreeQuantity(input: { free: FreeQuantity; quantityRequested: Decimal; unit: string; what: string; field?: string }): void {
  const { free, quantityRequested, unit, what, field } = input;
  if (quantityRequested.gt(free.free)) {
    throw new BusinessRuleError(
      'quantity_not_available',
      `free quantity is ${free.free.toFixed()} ${unit}; requested ${quantityRequested.toFixed()} ${unit} (${what}; the lot holds ${free.held.toFixed()} ${unit}, of which ${free.soldNotReleased.toFixed()} ${unit} is sold and not yet released and ${free.authorisedNotConfirmed.toFixed()} ${unit} is authorised to leave and not yet confirmed)`,
      field,
    );
  }
}

export interface ShortAllocation {
  reservation: LotReservation;
  quantityShort: Decimal;
}

/**
 * Physical reality wins: when a loss leaves the lot holding less than its
 * reservations, the difference is allocated to the claims, newest first (the
 * earliest sale keeps its goods longest), never more than a claim's
 * outstanding quantity. The allocations sum to max(0, reserved − held after).
 */
export function allocateShortage(heldAfter: Decimal, reservations: readonly LotReservation[]): ShortAllocation[] {
  assertQuantity(heldAfter, 'quantity held after the loss');
  const reserved = reservations.reduce((sum, reservation) => sum.plus(reservation.outstanding), new D(0));
  let toAllocate = reserved.minus(heldAfter);
  if (!toAllocate.gt(0)) return [];
  const newestFirst = [...reservations].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const allocations: ShortAllocation[] = [];
  for (const reservation of newestFirst) {
    if (!toAllocate.gt(0)) break;
    const quantityShort = D.min(toAllocate, reservation.outstanding);
    if (quantityShort.gt(0)) allocations.push({ reservation, quantityShort });
    toAllocate = toAllocate.minus(quantityShort);
  }
  assert(toAllocate.isZero(), `a shortage is allocated in full to the lot's reservations; ${toAllocate.toFixed()} left over`);
  return allocations;
}

// ─── Coverage: everything that can reduce it sees principal and reservations ─

/** Writers that can reduce a line's coverage, by what the parties call them. */
export type CoverageReducer = 'unpledge' | 'split' | 'release' | 'adjustment' | 'stock count' | 'inspection' | 'move' | 'sale' | 'disbursement';

export interface LineCoverage {
  /** min(limit, borrowing base) − outstanding principal − reserved draws. */
  availability: Money;
  outstandingPrincipal: Money;
  /** Draws requested or approved and not yet disbursed. */
  reservedDraws: Money;
}

export type CoverageVerdict = { kind: 'kept' } | { kind: 'shortfall'; message: string };

/**
 * One rule for every writer that can reduce coverage. The line owes its
 * outstanding principal and has promised its reserved draws; a change that
 * lowers availability below zero leaves that exposure uncovered. A change
 * that does not lower availability (or leaves it zero or more) keeps coverage,
 * whatever the price did before: a party is never blocked for the market.
 */
export function coverageAfter(input: { operation: CoverageReducer; before: LineCoverage; after: LineCoverage }): CoverageVerdict {
  const { operation, before, after } = input;
  if (!after.availability.isNegative() || !after.availability.lt(before.availability)) return { kind: 'kept' };
  return {
    kind: 'shortfall',
    message:
      `after this ${operation} availability would be ${after.availability.roundToScale().format()} ` +
      `(outstanding principal ${after.outstandingPrincipal.roundToScale().format()}, reserved draws ${after.reservedDraws.roundToScale().format()}); ` +
      `it must stay zero or more: repay, cancel a reserved draw or pledge other goods first`,
  };
}

/** A voluntary change (unpledge, split, release, sale) that leaves a shortfall is refused. */
export function requireCoverageKept(input: { operation: CoverageReducer; before: LineCoverage; after: LineCoverage }): void {
  const verdict = coverageAfter(input);
  if (verdict.kind === 'shortfall') throw new BusinessRuleError('coverage_insufficient', verdict.message);
}

/**
 * A disbursement turns its own reservation into principal: availability does
 * not move, so it is checked as it stands (this draw counted) — zero or more,
 * or the line would be over its borrowing base.
 */
export function disbursementRefusal(coverage: LineCoverage, drawAmount: Money): string | null {
  if (!coverage.availability.isNegative()) return null;
  return (
    `disbursing ${drawAmount.format()} would leave the line over its borrowing base: availability counting this draw is ${coverage.availability.roundToScale().format()} ` +
    `(outstanding principal ${coverage.outstandingPrincipal.roundToScale().format()}, reserved draws ${coverage.reservedDraws.roundToScale().format()})`
  );
}

/** A draw reserved on the line (REQUESTED or APPROVED, not yet disbursed). */
export interface ReservedDraw {
  drawId: string;
  amount: Money;
  /** Orders the reservations: the newest is the first refused. */
  createdAt: Date;
}

/**
 * Which reservations a line can no longer cover after a change nobody could
 * refuse (cash a buyer paid, goods that left in a liquidation): newest first,
 * as few as bring availability back to zero or more. Each refused reservation
 * adds its amount back to availability. None when availability is zero or
 * more; all of them when even that does not cover the outstanding principal
 * (what then stays negative is principal the collateral no longer covers).
 */
export function reservationsToRefuse(availability: Money, reserved: readonly ReservedDraw[]): ReservedDraw[] {
  const newestFirst = [...reserved].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.drawId < b.drawId ? 1 : a.drawId > b.drawId ? -1 : 0));
  const refused: ReservedDraw[] = [];
  let after = availability;
  for (const draw of newestFirst) {
    if (!after.isNegative()) break;
    refused.push(draw);
    after = after.plus(draw.amount);
  }
  return refused;
}

/** Exposure the lender has on the line: what it lent plus what it promised. */
export function lineExposure(coverage: Pick<LineCoverage, 'outstandingPrincipal' | 'reservedDraws'>): Money {
  return coverage.outstandingPrincipal.plus(coverage.reservedDraws);
}
