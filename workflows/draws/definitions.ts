/**
 * The draw workflow's signal, query and shapes, shared by the workflow, its
 * activities and the API. Deterministic: safe to import from workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RequiredApprovals } from '../../domain/approval';

export const DRAW_WORKFLOW_TYPE = 'drawWorkflow';

/** A lender user's decision was recorded in the database; the workflow reads the tally itself. */
export const decisionRecordedSignal = defineSignal<[]>('decisionRecorded');

export type DrawPhase = 'LOADING' | 'AWAITING_APPROVAL' | 'DISBURSING' | 'DISBURSED' | 'REJECTED' | 'EXPIRED' | 'REFUSED' | 'ABANDONED';

export interface DrawWorkflowState {
  drawId: string;
  phase: DrawPhase;
  requiredApprovals: RequiredApprovals | null;
  approverUserIds: string[];
  rejectedByUserId: string | null;
  /** Epoch ms of the approval deadline, once known. */
  approvalDeadlineMs: number | null;
  disbursementEntryId: string | null;
  feeEntryId: string | null;
  refusalReason: string | null;
}

export const drawStateQuery = defineQuery<DrawWorkflowState>('drawState');

export interface DrawWorkflowInput {
  drawId: string;
}

export type DrawWorkflowResult = Pick<DrawWorkflowState, 'drawId' | 'phase' | 'approverUserIds' | 'rejectedByUserId' | 'disbursementEntryId' | 'feeEntryId' | 'refusalReason'>;

/** Raised by loadDraw while the draw's request transaction has not committed (or never will). */
export const DRAW_NOT_VISIBLE = 'DrawNotVisible';

/** Domain errors an activity must not retry: the same input fails the same way. */
export const NON_RETRYABLE_DRAW_ERRORS = [
  'InvariantViolation',
  'ValidationError',
  'CurrencyMismatchError',
  'BusinessRuleError',
  'ConflictError',
  'NotFoundError',
];
