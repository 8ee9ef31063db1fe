/**
 * Margin workflows.
 *
 * lineMarginWorkflow — one per credit line (id `line-margin-<lineId>`): it
 * revalues the line whenever it is signalled (price mark, pledge, repayment,
 * stock count, daily check) and holds the line's margin call: while a call is
 * OPEN it sleeps on a durable timer until the cure deadline, and at the
 * deadline it re-evaluates from the database, so a cure that arrived without a
 * signal is still seen, and an uncured call turns into liquidation. While the
 * line is in liquidation it re-checks daily until everything is repaid. With
 * no live call and nothing pending it completes; the next revaluation starts
 * it again. The decisions themselves are made by the evaluation activity under
 * the line's row lock (domain/margin-call.ts), so a late or duplicate signal
 * can never open a second call or undo a cure.
 *
 * dailyMarginCheckWorkflow and stockCountMonitorWorkflow run on schedules
 * (./schedules.ts) and page through the lines and lots they look after.
 */
import { condition, continueAsNew, defineQuery, defineSignal, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { MarginActivities, MarginCheckResult, MarginEvaluation, RevaluationReason } from './activities';

export const revalueLineSignal = defineSignal<[RevaluationReason]>('revalueLine');

export interface LineMarginState {
  lineId: string;
  status: MarginEvaluation['status'];
  callId: string | null;
  cureDeadline: string | null;
  lastStep: MarginCheckResult['step'] | null;
  evaluations: number;
  /** Evaluations in a row that FAILED (recorded in margin_check_failure); 0 after a success. */
  failuresInARow: number;
}
export const lineMarginStateQuery = defineQuery<LineMarginState>('lineMarginState');

/** While a line is in liquidation, how often it is re-checked without a signal. */
export const LIQUIDATION_RECHECK_MS = 24 * 60 * 60 * 1000;
/** Evaluations after which a run continues as new, to keep its history small. */
export const EVALUATIONS_PER_RUN_MAX = 200;
export const LINES_PER_BATCH = 100;
export const OVERDUE_LOTS_PER_BATCH = 200;
export const BATCHES_PER_RUN_MAX = 200;
/**
 * After an evaluation FAILED, the workflow tries the line again after each of
 * these delays (a signal tries at once); then it stops retrying by itself and
 * the daily margin check (which lists every failing line) goes on retrying.
 */
export const MARGIN_CHECK_RETRY_DELAYS_MS = [60_000, 10 * 60_000, 60 * 60_000, 6 * 60 * 60_000];

/** Domain refusals: retrying cannot change their outcome. */
const NON_RETRYABLE_ERROR_TYPES = ['BusinessRuleError', 'ValidationError', 'NotFoundError', 'InvariantViolation', 'ForbiddenError'];

const activities = proxyActivities<MarginActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

export interface LineMarginInput {
  lineId: string;
  reason: RevaluationReason;
}

export async function lineMarginWorkflow(input: LineMarginInput): Promise<LineMarginState> {
  const pending: RevaluationReason[] = [input.reason];
  let state: LineMarginState = { lineId: input.lineId, status: 'NONE', callId: null, cureDeadline: null, lastStep: null, evaluations: 0, failuresInARow: 0 };
  setHandler(revalueLineSignal, (reason) => {
    pending.push(reason);
  });
  setHandler(lineMarginStateQuery, () => state);

  for (;;) {
    if (pending.length > 0) {
      // Signals that arrived together need one evaluation: it reads the state they all changed.
      const reason = pending[pending.length - 1];
      pending.length = 0;
      const result = await activities.evaluateLineMargin(input.lineId, reason, new Date(Date.now()).toISOString());
      if (result.step === 'FAILED') {
        // The line's call (if any) stands as it was; the failure is recorded and retried below.
        log.warn('line margin check failed', { lineId: input.lineId, ...result.failure });
        state = { ...state, lastStep: 'FAILED', evaluations: state.evaluations + 1, failuresInARow: state.failuresInARow + 1 };
      } else {
        state = { ...state, status: result.status, callId: result.callId, cureDeadline: result.cureDeadline, lastStep: result.step, evaluations: state.evaluations + 1, failuresInARow: 0 };
      }
      continue;
    }
    if (state.evaluations >= EVALUATIONS_PER_RUN_MAX) {
      // The next run starts with an evaluation from the database, so nothing is lost.
      await continueAsNew<typeof lineMarginWorkflow>({ lineId: input.lineId, reason: 'START' });
    }
    if (state.lastStep === 'FAILED' && state.failuresInARow <= MARGIN_CHECK_RETRY_DELAYS_MS.length) {
      const signalled = await condition(() => pending.length > 0, MARGIN_CHECK_RETRY_DELAYS_MS[state.failuresInARow - 1]);
      if (!signalled) pending.push('RETRY');
      continue;
    }
    if (state.lastStep === 'FAILED') {
      // Retries used up: the daily margin check lists this line (it has a failure recorded) and starts it again.
      log.warn('line margin check still failing; left to the daily check', { ...state });
      return state;
    }
    if (state.status === 'OPEN' && state.cureDeadline !== null) {
      const msToDeadline = new Date(state.cureDeadline).getTime() - Date.now();
      const signalled = msToDeadline > 0 && (await condition(() => pending.length > 0, msToDeadline));
      if (!signalled) pending.push('CURE_DEADLINE');
      continue;
    }
    if (state.status === 'LIQUIDATING') {
      const signalled = await condition(() => pending.length > 0, LIQUIDATION_RECHECK_MS);
      if (!signalled) pending.push('DAILY_CHECK');
      continue;
    }
    log.info('line margin settled for now', { ...state });
    return state;
  }
}

export interface DailyMarginCheckInput {
  afterLineId?: string | null;
  linesSoFar?: number;
}

/** Revalues every line with goods pledged or a live call (marks go stale, counts fall due, nothing else may have signalled). */
export async function dailyMarginCheckWorkflow(input: DailyMarginCheckInput = {}): Promise<{ linesChecked: number }> {
  let afterLineId = input.afterLineId ?? null;
  let linesChecked = input.linesSoFar ?? 0;
  for (let batches = 0; ; batches++) {
    if (batches >= BATCHES_PER_RUN_MAX) await continueAsNew<typeof dailyMarginCheckWorkflow>({ afterLineId, linesSoFar: linesChecked });
    const lineIds = await activities.listLinesForMarginCheck(afterLineId, LINES_PER_BATCH);
    if (lineIds.length === 0) break;
    await activities.revalueLines(lineIds, 'DAILY_CHECK');
    linesChecked += lineIds.length;
    afterLineId = lineIds[lineIds.length - 1];
  }
  log.info('daily margin check done', { linesChecked });
  return { linesChecked };
}

export interface StockCountMonitorInput {
  afterLienId?: string | null;
  lotsSoFar?: number;
}

/** Finds pledged lots whose stock count is overdue, tells their lender and warehouse, and revalues their lines. */
export async function stockCountMonitorWorkflow(input: StockCountMonitorInput = {}): Promise<{ overdueLots: number; linesRevalued: number }> {
  let afterLienId = input.afterLienId ?? null;
  let overdueLots = input.lotsSoFar ?? 0;
  const lines = new Set<string>();
  for (let batches = 0; ; batches++) {
    if (batches >= BATCHES_PER_RUN_MAX) await continueAsNew<typeof stockCountMonitorWorkflow>({ afterLienId, lotsSoFar: overdueLots });
    const page = await activities.flagOverdueStockCounts(afterLienId, OVERDUE_LOTS_PER_BATCH, new Date(Date.now()).toISOString());
    overdueLots += page.lotsFound;
    for (const lineId of page.lineIds) lines.add(lineId);
    if (page.lastLienId === null || page.lotsFound < OVERDUE_LOTS_PER_BATCH) break;
    afterLienId = page.lastLienId;
  }
  log.info('stock count monitor done', { overdueLots, linesRevalued: lines.size });
  return { overdueLots, linesRevalued: lines.size };
}
