/**
 * The hook every capability calls in a transaction that may move a line's LTV
 * (price mark, pledge, repayment or payment, stock count with a shortfall,
 * liquidation proceeds): the line's margin workflow revalues it. The request
 * is written to the workflow outbox in that transaction and dispatched once it
 * has committed (so the workflow reads what was committed), then retried until
 * Temporal has taken it.
 */
import type { RevaluationReason } from '../../prisma/margin/store';
import type { WorkflowOutbox } from '../../workflows/outbox/transaction-outbox';

export async function revalueLines(outbox: WorkflowOutbox, lineIds: readonly string[], reason: RevaluationReason): Promise<void> {
  if (lineIds.length === 0) return;
  await outbox.revalueLines(lineIds, reason);
}
