/**
 * What runs once a payment or repayment has committed. Other capabilities that
 * react to cash reaching a line (e.g. margin calls re-checking LTV) add their
 * call here, so that every route that records cash triggers them all.
 */
import type { AppDeps } from '../http/deps';
import { paymentRecordedSignal } from '../../workflows/sales/definitions';
import { revalueLines } from '../margin/revaluation';

export interface RepaymentCommitted {
  creditLineId: string;
  repaymentId: string;
  kind: 'SALE_PAYMENT' | 'DIRECT_REPAYMENT';
  /** Set for a buyer's payment: the sale whose workflow is told. */
  saleWorkflowId: string | null;
}

/**
 * Re-evaluates the line's margin (cash lowers LTV: an open call may be cured)
 * and wakes the sale's workflow to re-read the sale. Failures cost only time:
 * revaluation logs its own and the daily check catches up; the sale workflow
 * re-reads the sale at its due date anyway (the caller's runner logs a failed signal).
 */
export async function afterRepaymentCommitted(deps: AppDeps, event: RepaymentCommitted): Promise<void> {
  await revalueLines(deps, [event.creditLineId], 'REPAYMENT');
  if (event.saleWorkflowId !== null) {
    await deps.temporal.workflows().signal(event.saleWorkflowId, paymentRecordedSignal.name, event.repaymentId);
  }
}
