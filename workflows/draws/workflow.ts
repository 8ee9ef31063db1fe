/**
 * One workflow per draw (id `draw-<drawId>`): applies the line's approval
 * policy, waits for approvers until the approval deadline, and disburses an
 * approved draw exactly once. It decides; activities read and write the
 * database. Imports: @temporalio/workflow, domain/, and activity types only.
 *
 *   required approvals 0 ─────────────────────────────► approve → disburse
 *   1 or 2: wait for decisionRecorded until the deadline, read the tally
 *     any REJECT ───────────────────────────────────► reject (seller told)
 *     enough distinct approvers ─────────────────────► approve → disburse
 *     deadline passed (tally read once more) ────────► expire (seller told)
 *     draw no longer REQUESTED (refused: its reservation
 *       was no longer covered) ───────────────────────► finish as it is
 *   disburse: line re-checked in the same transaction ─► DISBURSED | REFUSED
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import { approvalOutcome } from '../../domain/approval';
import type { DrawActivities } from './activities';
import {
  DRAW_NOT_VISIBLE,
  NON_RETRYABLE_DRAW_ERRORS,
  decisionRecordedSignal,
  drawStateQuery,
  type DrawPhase,
  type DrawWorkflowInput,
  type DrawWorkflowResult,
  type DrawWorkflowState,
} from './definitions';

type DrawStatus = Awaited<ReturnType<DrawActivities['approveDraw']>>;

// The draw row is inserted in the request's transaction, which may commit
// after this workflow starts: loadDraw retries "not visible" for ~2 minutes,
// longer than any request transaction may stay open (30 s), then gives up.
const { loadDraw } = proxyActivities<Pick<DrawActivities, 'loadDraw'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_DRAW_ERRORS },
});

// Transient failures (database restarts, lock timeouts) are retried for about
// an hour; domain errors are not retried at all.
const { decisionTally, approveDraw, rejectDraw, expireDraw, disburseDraw } = proxyActivities<Omit<DrawActivities, 'loadDraw'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_DRAW_ERRORS },
});

/** patched() id of the exit from the wait for approvers once the draw is no longer REQUESTED. */
const EXIT_WHEN_SETTLED_PATCH = 'draw-wait-exits-when-no-longer-requested';

const PHASE_OF_STATUS: Record<DrawStatus, DrawPhase> = {
  REQUESTED: 'AWAITING_APPROVAL',
  APPROVED: 'DISBURSING',
  DISBURSED: 'DISBURSED',
  REJECTED: 'REJECTED',
  EXPIRED: 'EXPIRED',
  REFUSED: 'REFUSED',
};

export async function drawWorkflow(input: DrawWorkflowInput): Promise<DrawWorkflowResult> {
  const state: DrawWorkflowState = {
    drawId: input.drawId,
    phase: 'LOADING',
    requiredApprovals: null,
    approverUserIds: [],
    rejectedByUserId: null,
    approvalDeadlineMs: null,
    disbursementEntryId: null,
    feeEntryId: null,
    refusalReason: null,
  };
  let decisionSignalled = false;
  setHandler(drawStateQuery, () => ({ ...state, approverUserIds: [...state.approverUserIds] }));
  setHandler(decisionRecordedSignal, () => {
    decisionSignalled = true;
  });
  const finish = (phase: DrawPhase): DrawWorkflowResult => {
    state.phase = phase;
    const { drawId, approverUserIds, rejectedByUserId, disbursementEntryId, feeEntryId, refusalReason } = state;
    return { drawId, phase, approverUserIds, rejectedByUserId, disbursementEntryId, feeEntryId, refusalReason };
  };

  let draw: Awaited<ReturnType<DrawActivities['loadDraw']>>;
  try {
    draw = await loadDraw({ drawId: input.drawId });
  } catch (error) {
    // The request that created the draw rolled back: there is nothing to govern.
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === DRAW_NOT_VISIBLE) return finish('ABANDONED');
    throw error;
  }
  state.requiredApprovals = draw.requiredApprovals;
  state.approvalDeadlineMs = draw.approvalDeadlineMs;
  if (draw.status !== 'REQUESTED' && draw.status !== 'APPROVED') return finish(PHASE_OF_STATUS[draw.status]);

  const awaitDecision = async (): Promise<'APPROVED' | 'REJECTED' | 'EXPIRED' | { settled: DrawStatus; refusalReason: string | null }> => {
    state.phase = 'AWAITING_APPROVAL';
    for (;;) {
      const remainingMs = draw.approvalDeadlineMs - Date.now();
      const signalled = remainingMs > 0 ? await condition(() => decisionSignalled, remainingMs) : false;
      decisionSignalled = false;
      // Read the tally on every signal, and once more at the deadline in case a signal was lost.
      const tally = await decisionTally({ drawId: input.drawId });
      state.approverUserIds = tally.approverUserIds;
      state.rejectedByUserId = tally.rejectedByUserId;
      // A draw refused while it waited (its reservation no longer covered) has nothing left to wait
      // for. Histories recorded before this check replay without it (their tallies carry no status).
      if (patched(EXIT_WHEN_SETTLED_PATCH) && tally.drawStatus !== undefined && tally.drawStatus !== 'REQUESTED') {
        return { settled: tally.drawStatus, refusalReason: tally.refusalReason ?? null };
      }
      if (tally.rejectedByUserId !== null) return 'REJECTED';
      if (approvalOutcome(draw.requiredApprovals, tally.approverUserIds) === 'APPROVED') return 'APPROVED';
      if (!signalled) return 'EXPIRED';
    }
  };

  const decision = draw.status === 'APPROVED' || draw.requiredApprovals === 0 ? 'APPROVED' : await awaitDecision();
  if (typeof decision === 'object') {
    state.refusalReason = decision.refusalReason;
    return finish(PHASE_OF_STATUS[decision.settled]);
  }
  if (decision === 'REJECTED') return finish(PHASE_OF_STATUS[await rejectDraw({ drawId: input.drawId })]);
  if (decision === 'EXPIRED') return finish(PHASE_OF_STATUS[await expireDraw({ drawId: input.drawId })]);

  const approvedStatus = await approveDraw({ drawId: input.drawId });
  if (approvedStatus !== 'APPROVED') return finish(PHASE_OF_STATUS[approvedStatus]);
  state.phase = 'DISBURSING';
  // Workflow time, so that a retried disbursement posts the very same entry.
  const effectiveDate = new Date(Date.now()).toISOString().slice(0, 10);
  const disbursement = await disburseDraw({ drawId: input.drawId, effectiveDate });
  if (disbursement.status === 'DISBURSED') {
    state.disbursementEntryId = disbursement.disbursementEntryId;
    state.feeEntryId = disbursement.feeEntryId;
    return finish('DISBURSED');
  }
  if (disbursement.status === 'REFUSED') {
    state.refusalReason = disbursement.reason;
    return finish('REFUSED');
  }
  return finish(PHASE_OF_STATUS[disbursement.status]);
}
