/**
 * Signals, queries and result shapes shared by the harness sample workflow, its deliberately
 * altered copy (../sample-altered) and the tests. Deterministic: safe to import from workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const approveSignal = defineSignal<[approverId: string]>('approve');

export type ReleaseStatus = 'reserving' | 'awaiting-approval' | 'cooling-off' | 'released' | 'expired';
export const releaseStatusQuery = defineQuery<ReleaseStatus>('releaseStatus');
/** A query with an argument, so the harness's query argument encoding is exercised. */
export const describeLotQuery = defineQuery<string, [prefix: string]>('describeLot');

export interface ReleaseOutcome {
  lotId: string;
  released: boolean;
  approverId: string | null;
  receipt: string | null;
  decidedAtMs: number;
}

export interface ChargeReceipt {
  chargeKey: string;
  attempt: number;
  activityId: string;
  workflowId: string;
}

export type RefusalKind = 'non-retryable-flag' | 'non-retryable-type' | 'always-retryable';

export interface ReleaseRequest {
  lotId: string;
  quantityKg: string;
  /** How long the lender has to approve before the hold is cancelled. */
  approvalTimeoutMs: number;
  /** Wait between approval and release (a timer). */
  coolingOffMs: number;
}
