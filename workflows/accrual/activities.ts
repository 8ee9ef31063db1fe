/**
 * Activities of the daily accrual: list the lines to accrue, page by page,
 * and accrue one page. Both are idempotent (a line-day accrues once, see
 * prisma/accrual/store.ts), so a retried or re-run activity posts nothing twice.
 */
import type { ActivityDeps } from '../deps';
import { accrueLines, listLinesToAccrue, type AccrualCounts } from '../../prisma/accrual/store';

export type { AccrualCounts };

export function createAccrualActivities(deps: ActivityDeps) {
  return {
    /** Up to `limit` ids of lines that accrue on `date`, after `afterLineId` (id order). */
    async listLinesToAccrue(date: string, afterLineId: string | null, limit: number): Promise<string[]> {
      return listLinesToAccrue(deps.prisma, date, afterLineId, limit);
    },

    /**
     * Accrues `date` (before the day of `nowIso`, the workflow's clock) for each line; lines already accrued
     * for it are counted, not posted again. A line that cannot accrue is recorded, its lender told, and the
     * others accrue all the same (prisma/accrual/store.ts).
     */
    async accrueLines(date: string, lineIds: string[], nowIso: string): Promise<AccrualCounts> {
      const counts = await accrueLines(deps.prisma, date, lineIds, { now: new Date(nowIso) });
      deps.logger.info({ ...counts, lines: lineIds.length }, 'accrued interest for a batch of lines');
      if (counts.linesFailed > 0) deps.logger.warn({ accrualDate: date, linesFailed: counts.linesFailed, failures: counts.failures }, 'lines that could not accrue');
      return counts;
    },
  };
}

export type AccrualActivities = ReturnType<typeof createAccrualActivities>;
