/**
 * Daily interest accrual (run by the `daily-interest-accrual` schedule, see
 * ./schedule.ts): accrues one date for every line that accrues on it, a page
 * of lines per activity. The workflow only pages and sums; each activity is
 * idempotent per line-day, so retries, re-runs and overlapping runs post
 * nothing twice. Up to BATCHES_IN_FLIGHT_MAX pages accrue at once (pages are
 * disjoint and share no row, so they do not wait on each other); the next page
 * is listed while earlier ones accrue. Long runs continue as new every
 * BATCHES_PER_RUN_MAX pages, once the pages in flight are done, to keep the
 * history small. A line that cannot accrue does not fail its page (the
 * activity records it and goes on), so the run always finishes every other
 * line; the result counts the failed lines. Only days that are over accrue:
 * a date on or after the day the run started is refused.
 */
import { ApplicationFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { DomainError } from '../../domain/errors';
import { Money } from '../../domain/money';
import { requireAccrualDate, utcDay } from '../../domain/value-dates';
import type { AccrualActivities, AccrualCounts } from './activities';

export const ACCRUAL_LINES_PER_BATCH = 250;
export const BATCHES_PER_RUN_MAX = 200;
/** accrueLines activities running at once: about one per database core, plus one to overlap round trips. */
export const BATCHES_IN_FLIGHT_MAX = 3;
/** Failed lines the result lists by id (all are counted, recorded on the line and told to the lender). */
export const FAILURES_IN_RESULT_MAX = 20;

/** Domain refusals: retrying cannot change their outcome. */
const NON_RETRYABLE_ERROR_TYPES = ['BusinessRuleError', 'ValidationError', 'NotFoundError', 'InvariantViolation', 'ForbiddenError'];

const { listLinesToAccrue } = proxyActivities<AccrualActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

const { accrueLines } = proxyActivities<AccrualActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
});

export interface DailyAccrualInput {
  /** 'YYYY-MM-DD'; default the day before the workflow started (UTC). */
  date?: string;
  /** Lines per accrueLines activity; default ACCRUAL_LINES_PER_BATCH, at most 1000. */
  linesPerBatch?: number;
  /** Continue-as-new state: the last line accrued and the tallies so far. */
  afterLineId?: string | null;
  totalsSoFar?: DailyAccrualResult;
}

export interface DailyAccrualResult extends AccrualCounts {
  batches: number;
}

export async function dailyAccrualWorkflow(input: DailyAccrualInput = {}): Promise<DailyAccrualResult> {
  const startedAt = workflowInfo().startTime;
  const date = input.date ?? dayBefore(startedAt);
  try {
    requireAccrualDate('date', date, utcDay(startedAt));
  } catch (error) {
    if (error instanceof DomainError) throw ApplicationFailure.nonRetryable(error.message, error.name);
    throw error;
  }
  let totals: DailyAccrualResult = input.totalsSoFar ?? {
    accrualDate: date,
    batches: 0,
    linesAccrued: 0,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: {},
    linesFailed: 0,
    failures: [],
  };
  const linesPerBatch = input.linesPerBatch ?? ACCRUAL_LINES_PER_BATCH;
  let afterLineId = input.afterLineId ?? null;
  const inFlight = new Set<Promise<void>>();
  // A batch fails only for what no line can help (the database unreachable after every retry): that
  // fails the run; it is caught here and rethrown at the next step, so it is never an unhandled rejection.
  const batchFailures: unknown[] = [];
  const accrueInBackground = (lineIds: string[]): void => {
    const batch: Promise<void> = accrueLines(date, lineIds, startedAt.toISOString())
      .then(
        (counts) => {
          totals = withBatch(totals, counts);
        },
        (error: unknown) => {
          batchFailures.push(error);
        },
      )
      .finally(() => inFlight.delete(batch));
    inFlight.add(batch);
  };
  const drain = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (batchFailures.length > 0) throw batchFailures[0];
  };
  for (let batchesThisRun = 0; ; batchesThisRun++) {
    if (batchesThisRun >= BATCHES_PER_RUN_MAX) {
      await drain();
      await continueAsNew<typeof dailyAccrualWorkflow>({ date, linesPerBatch, afterLineId, totalsSoFar: totals });
    }
    const lineIds = await listLinesToAccrue(date, afterLineId, linesPerBatch);
    if (lineIds.length === 0) break;
    // Scheduled before the next page is listed, so the order of commands is list, accrue, list, accrue …
    accrueInBackground(lineIds);
    afterLineId = lineIds[lineIds.length - 1];
    if (inFlight.size >= BATCHES_IN_FLIGHT_MAX) await Promise.race(inFlight);
    if (batchFailures.length > 0) throw batchFailures[0];
  }
  await drain();
  log.info('daily accrual done', { ...totals });
  return totals;
}

/** The UTC calendar day before `instant`, 'YYYY-MM-DD'. */
export function dayBefore(instant: Date): string {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate() - 1)).toISOString().slice(0, 10);
}

function withBatch(totals: DailyAccrualResult, batch: AccrualCounts): DailyAccrualResult {
  const postedByCurrency = { ...totals.postedByCurrency };
  for (const [currency, amount] of Object.entries(batch.postedByCurrency)) {
    postedByCurrency[currency] = Money.of(postedByCurrency[currency] ?? '0', currency).plus(Money.of(amount, currency)).toFixedString();
  }
  return {
    accrualDate: totals.accrualDate,
    batches: totals.batches + 1,
    linesAccrued: totals.linesAccrued + batch.linesAccrued,
    linesAlreadyAccrued: totals.linesAlreadyAccrued + batch.linesAlreadyAccrued,
    daysCaughtUp: totals.daysCaughtUp + batch.daysCaughtUp,
    postedByCurrency,
    linesFailed: totals.linesFailed + batch.linesFailed,
    failures: [...totals.failures, ...batch.failures].slice(0, FAILURES_IN_RESULT_MAX),
  };
}
