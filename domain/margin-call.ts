/**
 * The life of a margin call on one credit line: given the call that is live
 * (if any), the line's position now and its thresholds, what happens next.
 *
 *   no live call ──LTV > margin call──▶ OPEN ──LTV ≤ target──▶ CURED
 *        │                               │
 *        │                               ├──now ≥ cure deadline, LTV > target──▶ LIQUIDATING
 *        └──LTV ≥ liquidation────────────┴──LTV ≥ liquidation──────────────────▶ LIQUIDATING
 *                                                                                   │
 *                                        principal, interest and fees all repaid ──▶ SETTLED
 *
 * The thresholds and the amounts that cure are domain/margin.ts; this file only
 * adds the cure deadline and the end of liquidation. Pure: no clock, no I/O.
 */
import type { Money } from './money';
import { cureAmounts, cureDeadline, marginDecision, type CureAmounts, type MarginPosition, type MarginThresholds } from './margin';

export type LiveMarginCall = { status: 'OPEN'; cureDeadline: Date } | { status: 'LIQUIDATING' };

export type LiquidationReason = 'CURE_DEADLINE_PASSED' | 'LIQUIDATION_THRESHOLD';

export type MarginStep =
  | { kind: 'NONE' }
  | { kind: 'OPEN'; cureDeadline: Date; cure: CureAmounts }
  /** The call stays open; what either cure alone needs now. */
  | { kind: 'KEEP_OPEN'; cure: CureAmounts }
  | { kind: 'CURE' }
  | { kind: 'LIQUIDATE'; reason: LiquidationReason; cure: CureAmounts }
  | { kind: 'KEEP_LIQUIDATING' }
  | { kind: 'SETTLE' };

export interface MarginStepInput extends MarginPosition, MarginThresholds {
  live: LiveMarginCall | null;
  /** Interest and fees owed: liquidation ends only when they are repaid too. */
  interestReceivable: Money;
  feesReceivable: Money;
  curePeriodHours: number;
  now: Date;
}

export function nextMarginStep(input: MarginStepInput): MarginStep {
  const { live } = input;
  if (live?.status === 'LIQUIDATING') {
    const nothingOwed = input.outstandingPrincipal.isZero() && input.interestReceivable.isZero() && input.feesReceivable.isZero();
    return nothingOwed ? { kind: 'SETTLE' } : { kind: 'KEEP_LIQUIDATING' };
  }
  const decision = marginDecision({ ...input, openCall: live !== null });
  const cure = () => cureAmounts(input);
  switch (decision) {
    case 'NONE':
      return { kind: 'NONE' };
    case 'OPEN_MARGIN_CALL':
      return { kind: 'OPEN', cureDeadline: cureDeadline(input.now, input.curePeriodHours), cure: cure() };
    case 'CURE':
      return { kind: 'CURE' };
    case 'LIQUIDATE':
      return { kind: 'LIQUIDATE', reason: 'LIQUIDATION_THRESHOLD', cure: cure() };
    case 'KEEP_OPEN': {
      // live is OPEN here: marginDecision answers KEEP_OPEN only for an open call.
      const deadline = (live as { cureDeadline: Date }).cureDeadline;
      if (input.now.getTime() >= deadline.getTime()) return { kind: 'LIQUIDATE', reason: 'CURE_DEADLINE_PASSED', cure: cure() };
      return { kind: 'KEEP_OPEN', cure: cure() };
    }
  }
}
