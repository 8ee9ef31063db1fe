/**
 * What a recorded payment or repayment asks of the workflows, written to the
 * outbox in the transaction that records the cash. Other capabilities that
 * react to cash reaching a line (e.g. margin calls re-checking LTV) add their
 * command here, so that every route that records cash triggers them all.
 */
import { paymentRecordedSignal } from '../../workflows/sales/definitions';
import type { WorkflowOutbox } from '../../workflows/outbox/transaction-outbox';
import { revalueLines } from '../margin/revaluation';

export interface RepaymentRecorded {
  creditLineId: string;
  repaymentId: string;
  kind: 'SALE_PAYMENT' | 'DIRECT_REPAYMENT';
  /** Set for a buyer's payment: the sale whose workflow is told. */
  saleWorkflowId: string | null;
}

/**
 * Re-evaluates the line's margin (cash lowers LTV: an open call may be cured)
 * and wakes the sale's workflow to re-read the sale. Both are dispatched once
 * the transaction commits, and retried until done.
 */
export async function afterRepaymentRecorded(outbox: WorkflowOutbox, event: RepaymentRecorded): Promise<void> {
  await revalueLines(outbox, [event.creditLineId], 'REPAYMENT');
  if (event.saleWorkflowId !== null) await outbox.signal(event.saleWorkflowId, paymentRecordedSignal.name, event.repaymentId);
}
