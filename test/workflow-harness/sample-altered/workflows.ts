/**
 * A deliberately NON-DETERMINISTIC edit of ../sample/workflows.ts `releaseAfterApproval`: it
 * releases the goods before the cooling-off timer instead of after. Histories recorded with the
 * original must fail to replay against this copy; the replay test proves it.
 */
import { condition, log, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { SampleActivities } from '../sample/activities';
import {
  approveSignal,
  describeLotQuery,
  releaseStatusQuery,
  type ReleaseOutcome,
  type ReleaseRequest,
  type ReleaseStatus,
} from '../sample/definitions';

const { reserveStock, releaseStock, cancelHold } = proxyActivities<SampleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

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
  // The non-deterministic change: release first, cool off afterwards.
  const receipt = await releaseStock(holdId, state.approverId);
  log.info(`${lotId} released, approved by ${state.approverId}`);
  state.status = 'cooling-off';
  await sleep(coolingOffMs);
  state.status = 'released';
  return { lotId, released: true, approverId: state.approverId, receipt, decidedAtMs: Date.now() };
}
