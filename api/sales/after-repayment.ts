/**
 * What runs once a payment or repayment has committed. Other capabilities that
 * react to cash reaching a line (e.g. margin calls re-checking LTV) add their
 * call here, so that every route that records cash triggers them all.
 */
import type { AppDeps } from '../http/deps';
import { paymentRecordedSignal } from '../../workflows/sales/definitions';

export interface RepaymentCommitted {
  creditLineId: string;
  repaymentId: string;
  kind: 'SALE_PAYMENT' | 'DIRECT_REPAYMENT';
  /** Set for a buyer's payment: the sale whose workflow is told. */
  saleWorkflowId: string | null;
}

/**
 * Wakes the sale's workflow to re-read the sale. A failure here is logged by
 * the caller's after-commit runner and costs nothing but time: the workflow
 * re-reads the sale at its due date anyway.
 */
export async function afterRepaymentCommitted(deps: AppDeps, event: RepaymentCommitted): Promise<void> {
  if (event.saleWorkflowId !== null) {
    await deps.temporal.workflows().signal(event.saleWorkflowId, paymentRecordedSignal.name, event.repaymentId);
  }
}
