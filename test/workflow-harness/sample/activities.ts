/**
 * Activities of the harness sample workflow. Built by a factory that takes its dependencies, like
 * production activities; `calls` lets a test assert exactly which attempts ran.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ChargeReceipt, RefusalKind } from './definitions';

export interface SampleActivityCall {
  activityType: string;
  activityId: string;
  attempt: number;
  workflowId: string;
  args: unknown[];
}

export interface SampleActivityDeps {
  calls: SampleActivityCall[];
}

/** Attempts of `flakyCharge` that fail before the one that succeeds. */
export const flakyChargeFailuresBeforeSuccess = 2;

export function createSampleActivities(deps: SampleActivityDeps) {
  function recordCall(activityType: string, args: unknown[]): SampleActivityCall {
    const { info } = Context.current();
    const call: SampleActivityCall = {
      activityType,
      activityId: info.activityId,
      attempt: info.attempt,
      workflowId: info.workflowExecution?.workflowId ?? '',
      args,
    };
    deps.calls.push(call);
    return call;
  }

  return {
    async reserveStock(lotId: string, quantityKg: string): Promise<string> {
      recordCall('reserveStock', [lotId, quantityKg]);
      return `hold:${lotId}:${quantityKg}kg`;
    },

    async releaseStock(holdId: string, approverId: string): Promise<string> {
      recordCall('releaseStock', [holdId, approverId]);
      return `release:${holdId}:by:${approverId}`;
    },

    async cancelHold(holdId: string): Promise<void> {
      recordCall('cancelHold', [holdId]);
    },

    async flakyCharge(chargeKey: string): Promise<ChargeReceipt> {
      const call = recordCall('flakyCharge', [chargeKey]);
      if (call.attempt <= flakyChargeFailuresBeforeSuccess) {
        throw ApplicationFailure.retryable(`bank timed out on attempt ${call.attempt}`, 'BankTimeout');
      }
      return { chargeKey, attempt: call.attempt, activityId: call.activityId, workflowId: call.workflowId };
    },

    async refuseCharge(kind: RefusalKind): Promise<never> {
      const call = recordCall('refuseCharge', [kind]);
      switch (kind) {
        case 'non-retryable-flag':
          throw ApplicationFailure.nonRetryable(`charge refused on attempt ${call.attempt}`, 'ChargeRefused');
        case 'non-retryable-type':
          // Retryable by itself; the workflow lists InsufficientCredit in nonRetryableErrorTypes.
          throw ApplicationFailure.retryable(`insufficient credit on attempt ${call.attempt}`, 'InsufficientCredit');
        case 'always-retryable':
          throw ApplicationFailure.retryable(`bank unavailable on attempt ${call.attempt}`, 'BankUnavailable');
      }
    },
  };
}

export type SampleActivities = ReturnType<typeof createSampleActivities>;
