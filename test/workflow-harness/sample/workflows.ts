/**
 * A tiny workflow module used only by the workflow harness's self-tests and replay fixtures.
 * It imports only @temporalio/workflow and deterministic code, like production workflows.
 */
import { continueAsNew, condition, executeChild, log, proxyActivities, setHandler, sleep, uuid4, workflowInfo } from '@temporalio/workflow';
import type { SampleActivities } from './activities';
import {
  approveSignal,
  describeLotQuery,
  releaseStatusQuery,
  type ChargeReceipt,
  type RefusalKind,
  type ReleaseOutcome,
  type ReleaseRequest,
  type ReleaseStatus,
} from './definitions';

const { reserveStock, releaseStock, cancelHold } = proxyActivities<SampleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

const { flakyCharge } = proxyActivities<SampleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumInterval: '1 minute', maximumAttempts: 5 },
});

const { refuseCharge } = proxyActivities<SampleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['InsufficientCredit'] },
});

export async function reserveLot(lotId: string, quantityKg: string): Promise<string> {
  return await reserveStock(lotId, quantityKg);
}

export async function chargeWithRetry(chargeKey: string): Promise<{ receipt: ChargeReceipt; chargedAtMs: number }> {
  const receipt = await flakyCharge(chargeKey);
  return { receipt, chargedAtMs: Date.now() };
}

export async function chargeRefused(kind: RefusalKind): Promise<void> {
  await refuseCharge(kind);
}

/**
 * Reserve goods, wait for a lender's approval (a signal) at most `approvalTimeoutMs`, then either
 * cancel the hold or wait out the cooling-off period and release.
 */
export async function releaseAfterApproval(request: ReleaseRequest): Promise<ReleaseOutcome> {
  const { lotId, quantityKg, approvalTimeoutMs, coolingOffMs } = request;
  const state: { status: ReleaseStatus; approverId: string | null } = { status: 'reserving', approverId: null };
  setHandler(approveSignal, (approverId) => {
    state.approverId ??= approverId;
  });
  setHandler(releaseStatusQuery, () => state.status);
  setHandler(describeLotQuery, (prefix) => `${prefix}${lotId} (${quantityKg} kg)`);

  const holdId = await reserveStock(lotId, quantityKg);
  state.status = 'awaiting-approval';
  const approved = await condition(() => state.approverId !== null, approvalTimeoutMs);
  if (!approved || state.approverId === null) {
    log.info(`approval of ${lotId} expired`);
    await cancelHold(holdId);
    state.status = 'expired';
    return { lotId, released: false, approverId: null, receipt: null, decidedAtMs: Date.now() };
  }
  state.status = 'cooling-off';
  await sleep(coolingOffMs);
  const receipt = await releaseStock(holdId, state.approverId);
  log.info(`${lotId} released, approved by ${state.approverId}`);
  state.status = 'released';
  return { lotId, released: true, approverId: state.approverId, receipt, decidedAtMs: Date.now() };
}

/**
 * Reserves through a child workflow. The child id includes a workflow-deterministic uuid4, so a
 * replay only passes if the harness seeds randomness exactly as Core does.
 */
export async function reserveViaChild(lotId: string, quantityKg: string): Promise<{ holdId: string; childWorkflowId: string }> {
  const childWorkflowId = `${workflowInfo().workflowId}/reserve-${uuid4()}`;
  const holdId = await executeChild(reserveLot, { workflowId: childWorkflowId, args: [lotId, quantityKg] });
  return { holdId, childWorkflowId };
}

/** Continues as new `remainingRuns` times, then returns how many runs the chain had. */
export async function countDownRuns(remainingRuns: number, runsSoFar = 1): Promise<number> {
  if (remainingRuns > 0) {
    await continueAsNew<typeof countDownRuns>(remainingRuns - 1, runsSoFar + 1);
  }
  return runsSoFar;
}

/** A bug: a plain Error (not an ApplicationFailure) fails the workflow task, not the workflow. */
export async function failsWorkflowTask(lotId: string): Promise<never> {
  throw new Error(`no custody record for ${lotId}`);
}
