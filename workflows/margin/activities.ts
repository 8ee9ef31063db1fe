/**
 * Activities of the margin workflows. Each is idempotent: an evaluation
 * applies the step the database state calls for (a retried evaluation finds
 * the call already opened, cured or liquidating and does nothing twice), and
 * notifications carry dedupe keys.
 */
import type { ActivityDeps } from '../deps';
import type { WorkflowGateway } from '../connection';
import { NotFoundError } from '../../domain/errors';
import { inTransaction } from '../../prisma/client';
import { clearMarginCheckFailure, describeFailure, recordMarginCheckFailure } from '../../prisma/margin/failures';
import { evaluateLineMargin, linesForDailyCheck, type MarginEvaluation, type RevaluationReason } from '../../prisma/margin/store';
import { overdueStockCounts, tellOverdueStockCounts } from '../../prisma/margin/stock-counts';
import { requestLineRevaluations } from './starter';

export type { MarginEvaluation, RevaluationReason };

/**
 * What an evaluation answers: where the line's call stands, or that this line
 * could not be evaluated (recorded in margin_check_failure; the lender is told).
 */
export type MarginCheckResult = (MarginEvaluation & { failure: null }) | { lineId: string; step: 'FAILED'; failure: { errorType: string; reason: string; attempts: number } };

export interface MarginActivityDeps extends ActivityDeps {
  /**
   * Temporal, to revalue lines through their own workflows (so that an opened
   * call gets its cure timer). Without it the daily check and the stock-count
   * monitor evaluate lines directly; deadlines are then enforced by the next
   * evaluation of the line.
   */
  workflows?: () => WorkflowGateway;
  /** The clock; tests replace it. */
  now?: () => Date;
}

export interface OverduePage {
  lineIds: string[];
  lastLienId: string | null;
  lotsFound: number;
}

export function createMarginActivities(deps: MarginActivityDeps) {
  // The workflow passes its own time: an evaluation at the cure deadline happens
  // no earlier than the deadline even if this worker's clock lags a little.
  const clock = (asOf: string | null) => {
    const now = deps.now?.() ?? new Date();
    return asOf !== null && new Date(asOf).getTime() > now.getTime() ? new Date(asOf) : now;
  };
  /**
   * Evaluates one line in its own transaction. A line that cannot be evaluated
   * is recorded (its own transaction) and answered FAILED, never thrown: one
   * broken line must not stop a sweep nor fail its workflow. Only when even the
   * record cannot be written (the database is away) does the error propagate,
   * for Temporal to retry the activity.
   */
  async function evaluate(lineId: string, reason: RevaluationReason, asOf: string | null): Promise<MarginCheckResult> {
    const now = clock(asOf);
    try {
      const evaluation = await inTransaction(deps.prisma, async (tx) => {
        const result = await evaluateLineMargin(tx, { lineId, now, reason });
        await clearMarginCheckFailure(tx, { lineId, stage: 'ANY' });
        return result;
      });
      return { ...evaluation, failure: null };
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      const recorded = await inTransaction(deps.prisma, (tx) => recordMarginCheckFailure(tx, { lineId, stage: 'MARGIN_CHECK', error, now }));
      deps.logger.error({ err: error, lineId, reason, attempts: recorded.attempts }, 'line could not be margin-checked; recorded, other lines go on');
      return { lineId, step: 'FAILED', failure: { ...describeFailure(error), attempts: recorded.attempts } };
    }
  }

  async function revalue(lineIds: readonly string[], reason: RevaluationReason): Promise<void> {
    if (deps.workflows) {
      const gateway = deps.workflows();
      await requestLineRevaluations(gateway, lineIds, reason, (lineId, error) => deps.logger.error({ err: error, lineId }, 'could not request a line revaluation'));
      return;
    }
    for (const lineId of lineIds) await evaluate(lineId, reason, null);
  }

  return {
    /** Revalues one line and applies its margin step; answers where its call stands, or FAILED (recorded). */
    async evaluateLineMargin(lineId: string, reason: RevaluationReason, asOf: string | null): Promise<MarginCheckResult> {
      const result = await evaluate(lineId, reason, asOf);
      if (result.step !== 'NONE' && result.step !== 'KEEP_LIQUIDATING' && result.step !== 'FAILED') deps.logger.info({ ...result, reason }, 'margin step applied');
      return result;
    },

    /** One page of the lines the daily check revalues (not CLOSED, with goods pledged or a live call). */
    async listLinesForMarginCheck(afterLineId: string | null, limit: number): Promise<string[]> {
      return linesForDailyCheck(deps.prisma, { afterLineId, limit });
    },

    async revalueLines(lineIds: string[], reason: RevaluationReason): Promise<void> {
      await revalue(lineIds, reason);
    },

    /**
     * One page of pledged lots whose stock count is overdue: tells their
     * lender and warehouse (once per overdue period) and revalues their lines,
     * for which the lots no longer count.
     */
    async flagOverdueStockCounts(afterLienId: string | null, limit: number, asOf: string | null): Promise<OverduePage> {
      const overdue = await overdueStockCounts(deps.prisma, { now: clock(asOf), afterLienId, limit });
      await tellOverdueStockCounts(deps.prisma, overdue);
      const lineIds = [...new Set(overdue.map((lot) => lot.creditLineId))];
      await revalue(lineIds, 'STOCK_COUNT');
      return { lineIds, lastLienId: overdue.length > 0 ? overdue[overdue.length - 1].lienId : null, lotsFound: overdue.length };
    },
  };
}

export type MarginActivities = ReturnType<typeof createMarginActivities>;
