/**
 * How the rest of the service asks for a line to be revalued: start the line's
 * margin workflow (which evaluates at once), or, when it is already running,
 * signal it. A commit that may change a line's LTV — a price mark, a pledge, a
 * repayment or payment, a stock count with a shortfall — writes a REVALUE_LINE
 * command to the workflow outbox in its own transaction, and the outbox
 * dispatcher calls this until it has succeeded; the daily check calls it
 * directly from its activity (which Temporal retries). Not workflow code: it
 * talks to Temporal.
 */
import type { WorkflowGateway } from '../connection';
import { lineMarginWorkflowId, type RevaluationReason } from '../../prisma/margin/store';

export const LINE_MARGIN_WORKFLOW_TYPE = 'lineMarginWorkflow';
export const REVALUE_LINE_SIGNAL = 'revalueLine';
export const LINE_MARGIN_STATE_QUERY = 'lineMarginState';

const ATTEMPTS_MAX = 3;

/**
 * Revalues the line through its workflow. Safe to call any number of times:
 * a running workflow takes a signal, a finished one is started again.
 */
export async function requestLineRevaluation(workflows: WorkflowGateway, lineId: string, reason: RevaluationReason): Promise<void> {
  const workflowId = lineMarginWorkflowId(lineId);
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    try {
      await workflows.signal(workflowId, REVALUE_LINE_SIGNAL, reason);
      return;
    } catch (error) {
      if (!isTemporalError(error, 'WorkflowNotFoundError')) throw error;
      lastError = error;
    }
    try {
      await workflows.start(LINE_MARGIN_WORKFLOW_TYPE, { workflowId, args: [{ lineId, reason }] });
      return;
    } catch (error) {
      // Someone else started it between our signal and our start: signal that one.
      if (!isTemporalError(error, 'WorkflowExecutionAlreadyStartedError')) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/** Revalues each line; one failure does not stop the others (the daily check catches up). */
export async function requestLineRevaluations(
  workflows: WorkflowGateway,
  lineIds: readonly string[],
  reason: RevaluationReason,
  onError: (lineId: string, error: unknown) => void,
): Promise<void> {
  for (const lineId of lineIds) {
    try {
      await requestLineRevaluation(workflows, lineId, reason);
    } catch (error) {
      onError(lineId, error);
    }
  }
}

/** By name, so that the SDK's classes and the offline harness's (another copy of the SDK) both match. */
export function isTemporalError(error: unknown, name: 'WorkflowNotFoundError' | 'WorkflowExecutionAlreadyStartedError'): boolean {
  return error instanceof Error && (error.name === name || error.constructor.name === name);
}
