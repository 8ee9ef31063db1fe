/**
 * Failure isolation for revaluation and the margin check: a line that cannot
 * be revalued (POST /price-marks) or margin-checked (its workflow, the daily
 * check) never stops the others nor the mark being recorded. Its failure is
 * recorded here — one row per line while it keeps failing, with the attempts
 * and the reason — the lender is told once per failing spell, the row is shown
 * on the line (GET …/borrowing-base) and counted in /metrics, and the line is
 * retried: by its margin workflow (MARGIN_CHECK_RETRY_DELAYS_MS), by every
 * later revaluation, and at the latest by the daily margin check, which lists
 * every line with a row here. The next success deletes the row (and audits it).
 */
import { Prisma, type Db } from '../client';
import type { MarginCheckFailure } from '../generated/client';
import { tellOrganisations } from './notify';

export type MarginCheckStage = MarginCheckFailure['stage'];

const REASON_LENGTH_MAX = 2000;
const ERROR_TYPE_LENGTH_MAX = 200;

/** The error's class name (domain errors carry theirs) and message, cut to what the columns hold. */
export function describeFailure(error: unknown): { errorType: string; reason: string } {
  const errorType = (error instanceof Error ? error.name || error.constructor.name : typeof error).slice(0, ERROR_TYPE_LENGTH_MAX) || 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { errorType, reason: (message.trim() || errorType).slice(0, REASON_LENGTH_MAX) };
}

/**
 * Records that `lineId` failed at `stage` (a new spell, or one more attempt of
 * the current one) and tells the line's lender when a spell starts.
 */
export async function recordMarginCheckFailure(db: Db, input: { lineId: string; stage: MarginCheckStage; error: unknown; now: Date }): Promise<MarginCheckFailure> {
  const { errorType, reason } = describeFailure(input.error);
  const [row] = await db.$queryRaw<{ first_failed_at: Date; attempts: number }[]>`
    INSERT INTO margin_check_failure (credit_line_id, stage, error_type, reason, attempts, first_failed_at, last_failed_at)
    VALUES (${input.lineId}::uuid, ${input.stage}::"MarginCheckStage", ${errorType}, ${reason}, 1, ${input.now}, ${input.now})
    ON CONFLICT (credit_line_id) DO UPDATE
       SET stage = EXCLUDED.stage, error_type = EXCLUDED.error_type, reason = EXCLUDED.reason,
           attempts = margin_check_failure.attempts + 1,
           last_failed_at = greatest(margin_check_failure.last_failed_at, EXCLUDED.last_failed_at)
    RETURNING first_failed_at, attempts`;
  const line = await db.creditLine.findUnique({ where: { id: input.lineId }, select: { lenderOrganisationId: true } });
  if (line) {
    await db.auditRecord.create({
      data: {
        actorUserId: null,
        organisationId: line.lenderOrganisationId,
        action: 'margin_check.failed',
        targetType: 'credit_line',
        targetId: input.lineId,
        before: Prisma.JsonNull,
        after: { stage: input.stage, errorType, reason, attempts: row.attempts },
        requestId: null,
      },
    });
    await tellOrganisations(db, [
      {
        organisationId: line.lenderOrganisationId,
        kind: 'MARGIN_CHECK_FAILED',
        message:
          `Credit line ${input.lineId} could not be ${input.stage === 'REVALUATION' ? 'revalued' : 'margin-checked'} (${errorType}: ${reason}). ` +
          'Other lines are not affected; this line is retried and its borrowing base shows the failure until it succeeds.',
        subjectType: 'credit_line',
        subjectId: input.lineId,
        dedupeKey: `margin-check-failed:${input.lineId}:${row.first_failed_at.toISOString()}`,
      },
    ]);
  }
  return db.marginCheckFailure.findUniqueOrThrow({ where: { creditLineId: input.lineId } });
}

/**
 * The line was revalued or checked successfully: its failure, if any, is over.
 * `stage` REVALUATION clears only a revaluation failure (a successful set-based
 * revaluation says nothing about the margin check itself).
 */
export async function clearMarginCheckFailure(db: Db, input: { lineId: string; stage: MarginCheckStage | 'ANY' }): Promise<void> {
  const where = { creditLineId: input.lineId, ...(input.stage === 'ANY' ? {} : { stage: input.stage }) };
  const existing = await db.marginCheckFailure.findFirst({ where });
  if (!existing) return;
  await db.marginCheckFailure.deleteMany({ where });
  const line = await db.creditLine.findUnique({ where: { id: input.lineId }, select: { lenderOrganisationId: true } });
  if (!line) return;
  await db.auditRecord.create({
    data: {
      actorUserId: null,
      organisationId: line.lenderOrganisationId,
      action: 'margin_check.recovered',
      targetType: 'credit_line',
      targetId: input.lineId,
      before: { stage: existing.stage, errorType: existing.errorType, reason: existing.reason, attempts: existing.attempts },
      after: Prisma.JsonNull,
      requestId: null,
    },
  });
}

export async function marginCheckFailureOf(db: Db, lineId: string): Promise<MarginCheckFailure | null> {
  return db.marginCheckFailure.findUnique({ where: { creditLineId: lineId } });
}

/** Lines failing now, by stage: what /metrics shows. */
export async function marginCheckFailureCounts(db: Db): Promise<Array<{ stage: MarginCheckStage; lines: number }>> {
  const rows = await db.$queryRaw<{ stage: MarginCheckStage; lines: bigint }[]>`
    SELECT stage::text AS stage, count(*) AS lines FROM margin_check_failure GROUP BY stage`;
  return rows.map((row) => ({ stage: row.stage, lines: Number(row.lines) }));
}

/**
 * Runs `work` for one line inside a savepoint of the caller's transaction: when
 * it throws, what it wrote is rolled back (and the transaction stays usable for
 * the other lines) and the error is returned instead of thrown.
 */
export async function isolated<T>(db: Db, work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await db.$executeRawUnsafe('SAVEPOINT margin_line');
  try {
    const value = await work();
    await db.$executeRawUnsafe('RELEASE SAVEPOINT margin_line');
    return { ok: true, value };
  } catch (error) {
    await db.$executeRawUnsafe('ROLLBACK TO SAVEPOINT margin_line');
    await db.$executeRawUnsafe('RELEASE SAVEPOINT margin_line');
    return { ok: false, error };
  }
}
