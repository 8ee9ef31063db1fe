/**
 * Performs what the workflow outbox holds until Temporal has done it. Each
 * dispatch claims due rows (prisma/outbox/store.ts: FOR UPDATE SKIP LOCKED and
 * a lease, so that two dispatchers — two API processes, or a request and the
 * poller — never take the same row), performs them outside any transaction, and
 * records the outcome, or the error and when to try again (exponential backoff
 * per row). Performing a row twice is harmless, which is what makes a crash
 * between performing and recording safe:
 * - START uses the workflow's deterministic id with REJECT_DUPLICATE: "already
 *   started" means done;
 * - SIGNAL only wakes a workflow that re-reads the database (sale, draw, margin
 *   workflows); "not found" means done: a finished workflow needs no waking, and
 *   one not started yet reads the database when it starts, after this commit;
 * - REVALUE_LINE signals the line's margin workflow or starts it, and a
 *   revaluation reads the database.
 * Not workflow code: it talks to Temporal and the database.
 */
import type { Logger } from 'pino';
import type { PrismaClient } from '../../prisma/client';
import { claimDueCommands, recordDispatched, recordFailure, type OutboxRow } from '../../prisma/outbox/store';
import type { RevaluationReason } from '../../prisma/margin/store';
import type { TemporalAccess, WorkflowGateway } from '../connection';
import { isTemporalError, requestLineRevaluation } from '../margin/starter';
import { withTimeout } from '../with-timeout';

/** Rows one dispatch claims at most; they are performed concurrently. */
export const OUTBOX_BATCH_MAX = 50;
/** How long one start or signal may take before the attempt counts as failed. */
export const OUTBOX_CALL_TIMEOUT_MS = 10_000;
/** How long a claimed row stays with its dispatcher: longer than a call, so a live dispatcher never loses a row it is performing. */
export const OUTBOX_LEASE_MS = 3 * OUTBOX_CALL_TIMEOUT_MS;
/** The wait after a row's first failure; it doubles with each further failure, up to OUTBOX_RETRY_DELAY_MAX_MS. */
export const OUTBOX_RETRY_DELAY_FIRST_MS = 2_000;
export const OUTBOX_RETRY_DELAY_MAX_MS = 5 * 60_000;
/** Longest error text kept on a row. */
const ERROR_TEXT_MAX = 1_000;

export interface OutboxDeps {
  prisma: PrismaClient;
  temporal: TemporalAccess;
  logger: Logger;
  /** The clock the rows were written with; default the real one. */
  clock?: () => Date;
}

export interface DispatchOptions {
  /** Only these rows (those a request just wrote); default any due row. */
  onlyIds?: readonly bigint[];
  /** At most OUTBOX_BATCH_MAX. */
  batchSize?: number;
  callTimeoutMs?: number;
}

export interface DispatchReport {
  claimed: number;
  dispatched: number;
  failed: number;
}

/** The wait before the next attempt of a row that has now failed `failedAttempts` times. */
export function retryDelayMs(failedAttempts: number): number {
  return Math.min(OUTBOX_RETRY_DELAY_MAX_MS, OUTBOX_RETRY_DELAY_FIRST_MS * 2 ** Math.min(30, Math.max(0, failedAttempts - 1)));
}

/** Claims and performs one batch of due rows. Throws only when the database cannot be reached. */
export async function dispatchOutbox(deps: OutboxDeps, options: DispatchOptions = {}): Promise<DispatchReport> {
  const clock = deps.clock ?? (() => new Date());
  const callTimeoutMs = options.callTimeoutMs ?? OUTBOX_CALL_TIMEOUT_MS;
  const now = clock();
  const rows = await claimDueCommands(deps.prisma, {
    now,
    leaseUntil: new Date(now.getTime() + Math.max(OUTBOX_LEASE_MS, 3 * callTimeoutMs)),
    limit: Math.min(OUTBOX_BATCH_MAX, Math.max(1, options.batchSize ?? OUTBOX_BATCH_MAX)),
    onlyIds: options.onlyIds,
  });
  if (rows.length === 0) return { claimed: 0, dispatched: 0, failed: 0 };
  let gateway: WorkflowGateway | null = null;
  let unavailable: unknown = null;
  try {
    gateway = deps.temporal.workflows();
  } catch (error) {
    unavailable = error;
  }
  // Independent of one another (even two rows of one workflow: see perform), so they run together.
  const outcomes = await Promise.all(
    rows.map(async (row) => {
      try {
        if (gateway === null) throw unavailable;
        const performing = perform(gateway, row);
        const outcome = await withTimeout(performing, callTimeoutMs, `Temporal (${row.kind} ${row.workflowId})`).catch((error: unknown) => {
          // An answer that comes after the timeout still counts: it is recorded when it comes.
          performing.then(
            (late) => recordDispatched(deps.prisma, row.id, { outcome: late, at: clock() }).catch((recordError: unknown) => deps.logger.warn({ err: recordError }, 'workflow outbox: could not record a late dispatch')),
            () => undefined,
          );
          throw error;
        });
        await recordDispatched(deps.prisma, row.id, { outcome, at: clock() });
        return true;
      } catch (error) {
        await recordFailed(deps, row, error, clock());
        return false;
      }
    }),
  );
  const dispatched = outcomes.filter(Boolean).length;
  return { claimed: rows.length, dispatched, failed: rows.length - dispatched };
}

async function perform(gateway: WorkflowGateway, row: OutboxRow): Promise<string> {
  switch (row.kind) {
    case 'START':
      try {
        await gateway.start(row.workflowType!, { workflowId: row.workflowId, args: row.args, taskQueue: row.taskQueue ?? undefined, idReusePolicy: 'REJECT_DUPLICATE' });
        return 'STARTED';
      } catch (error) {
        if (isTemporalError(error, 'WorkflowExecutionAlreadyStartedError')) return 'ALREADY_STARTED';
        throw error;
      }
    case 'SIGNAL':
      try {
        await gateway.signal(row.workflowId, row.signalName!, ...row.args);
        return 'SIGNALLED';
      } catch (error) {
        if (isTemporalError(error, 'WorkflowNotFoundError')) return 'WORKFLOW_NOT_RUNNING';
        throw error;
      }
    case 'REVALUE_LINE': {
      const [{ lineId, reason }] = row.args as [{ lineId: string; reason: RevaluationReason }];
      await requestLineRevaluation(gateway, lineId, reason);
      return 'REVALUATION_REQUESTED';
    }
  }
}

async function recordFailed(deps: OutboxDeps, row: OutboxRow, error: unknown, now: Date): Promise<void> {
  const failedAttempts = row.failedAttempts + 1;
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(failedAttempts));
  const text = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, ERROR_TEXT_MAX);
  deps.logger.warn({ err: error, outboxId: String(row.id), kind: row.kind, workflowId: row.workflowId, failedAttempts, nextAttemptAt }, 'workflow outbox: dispatch failed; will retry');
  try {
    await recordFailure(deps.prisma, row.id, { error: text, nextAttemptAt });
  } catch (recordError) {
    // The lease runs out and the row is tried again: nothing is lost, only the error text.
    deps.logger.error({ err: recordError, outboxId: String(row.id) }, 'workflow outbox: could not record a failed dispatch');
  }
}

/**
 * The dispatch right after a commit, of the rows that commit wrote. Never
 * throws: the change is committed whatever happens here, and what is not
 * dispatched now is retried by the poller.
 */
export async function dispatchWritten(deps: OutboxDeps, ids: readonly bigint[], context: { requestId: string | null }): Promise<void> {
  if (ids.length === 0) return;
  try {
    for (let from = 0; from < ids.length; from += OUTBOX_BATCH_MAX) {
      await dispatchOutbox(deps, { onlyIds: ids.slice(from, from + OUTBOX_BATCH_MAX) });
    }
  } catch (error) {
    deps.logger.error({ err: error, requestId: context.requestId }, 'workflow outbox: dispatch after commit failed; the poller will retry');
  }
}
