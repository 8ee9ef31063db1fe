/**
 * The life of a margin call on one credit line: given the call that is live
 * (if any), the line's position now and its thresholds, what happens next.
 *
 *   no live call ──LTV > margin call──▶ OPEN ──LTV ≤ target (or goods eligible again)──▶ CURED
 *        │                               │
 *        │                               ├──now ≥ cure deadline, not cured──▶ LIQUIDATING
 *        └──priced LTV ≥ liquidation─────┴──priced LTV ≥ liquidation───────▶ LIQUIDATING
 *                                                                                   │
 *                                        principal, interest and fees all repaid ──▶ SETTLED
 *
 * The thresholds, what counts as a priced LTV and the amounts that cure are
 * domain/margin.ts; this file only adds the cure deadline and the end of
 * liquidation. Pure: no clock, no I/O.
 */
import { assert } from './errors';
import {
  cureAmounts,
  cureDeadline,
  marginDecision,
  type CollateralPricing,
  type CureAmounts,
  type MarginPosition,
  type MarginThresholds,
  type OwedBesidesPrincipal,
  type ShortfallCause,
} from './margin';

export type LiveMarginCall = { status: 'OPEN'; cureDeadline: Date; cause: ShortfallCause } | { status: 'LIQUIDATING' };

export type LiquidationReason = 'CURE_DEADLINE_PASSED' | 'LIQUIDATION_THRESHOLD';

export type MarginStep =
  | { kind: 'NONE' }
  | { kind: 'OPEN'; cureDeadline: Date; cause: ShortfallCause; cure: CureAmounts }
  /** The call stays open; what either cure alone needs now. */
  | { kind: 'KEEP_OPEN'; cause: ShortfallCause; cure: CureAmounts }
  | { kind: 'CURE' }
  | { kind: 'LIQUIDATE'; reason: LiquidationReason; cure: CureAmounts }
  | { kind: 'KEEP_LIQUIDATING' }
  | { kind: 'SETTLE' };

export interface MarginStepInput extends MarginPosition, CollateralPricing, MarginThresholds, OwedBesidesPrincipal {
  live: LiveMarginCall | null;
  curePeriodHours: number;
  now: Date;
}

export function nextMarginStep(input: MarginStepInput): MarginStep {
  const { live } = input;
  if (live?.status === 'LIQUIDATING') {
    const nothingOwed = input.outstandingPrincipal.isZero() && input.interestReceivable.isZero() && input.feesReceivable.isZero();
    return nothingOwed ? { kind: 'SETTLE' } : { kind: 'KEEP_LIQUIDATING' };
  }
  const outcome = marginDecision({ ...input, openCall: live === null ? null : { cause: live.cause } });
  const cure = () => cureAmounts({ ...input, owed: input });
  switch (outcome.decision) {
    case 'NONE':
      return { kind: 'NONE' };
    case 'OPEN_MARGIN_CALL':
      return { kind: 'OPEN', cureDeadline: cureDeadline(input.now, input.curePeriodHours), cause: causeOf(outcome.cause), cure: cure() };
    case 'CURE':
      return { kind: 'CURE' };
    case 'LIQUIDATE':
      return { kind: 'LIQUIDATE', reason: 'LIQUIDATION_THRESHOLD', cure: cure() };
    case 'KEEP_OPEN': {
      // live is OPEN here: marginDecision answers KEEP_OPEN only for an open call.
      const deadline = (live as { cureDeadline: Date }).cureDeadline;
      if (input.now.getTime() >= deadline.getTime()) return { kind: 'LIQUIDATE', reason: 'CURE_DEADLINE_PASSED', cure: cure() };
      return { kind: 'KEEP_OPEN', cause: causeOf(outcome.cause), cure: cure() };
    }
  }
}

function causeOf(cause: ShortfallCause | null): ShortfallCause {
  assert(cause !== null, 'marginDecision names the cause of an open call');
  return cause;
}
