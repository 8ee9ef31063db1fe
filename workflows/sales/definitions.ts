/**
 * Signals, queries and shapes of the sale-settlement workflow, shared by the
 * workflow, the API that signals it and the tests. Deterministic: safe to
 * import from workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const SALE_SETTLEMENT_WORKFLOW = 'saleSettlement';

/** The lender recorded a buyer's payment: the workflow re-reads the sale. */
export const paymentRecordedSignal = defineSignal<[repaymentId: string]>('paymentRecorded');
/** Something happened to the sale's goods in custody (e.g. a release confirmed): check now rather than at the next poll. */
export const custodyChangedSignal = defineSignal('custodyChanged');

export type SaleSettlementPhase = 'awaiting-payment' | 'awaiting-release' | 'closed' | 'lapsed';
export const saleSettlementPhaseQuery = defineQuery<SaleSettlementPhase>('saleSettlementPhase');

export interface SaleSettlementArgs {
  saleId: string;
  /** 'YYYY-MM-DD'; the sale lapses if still unpaid at the end of this day (UTC). */
  paymentDueDate: string;
  /** How long the warehouse has to confirm the goods leaving before it is reminded and the lender told. */
  releaseReminderAfterMs: number;
  /** How often the workflow checks the warehouse's confirmations when no signal wakes it. */
  releasePollIntervalMs: number;
}

export const DEFAULT_RELEASE_REMINDER_AFTER_MS = 48 * 3_600_000;
export const DEFAULT_RELEASE_POLL_INTERVAL_MS = 3_600_000;

export interface SaleSettlementOutcome {
  saleId: string;
  outcome: 'CLOSED' | 'LAPSED';
  releaseOrderIds: string[];
  /** Whether the warehouse had to be reminded to confirm the release. */
  releaseReminded: boolean;
}

/** Notification kinds the workflow sends; each is sent at most once per sale. */
export type SaleNoticeKind = 'sale.lapsed' | 'sale.release_authorised' | 'sale.release_overdue' | 'sale.closed';
