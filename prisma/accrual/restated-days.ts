/**
 * The days a restatement changed (domain/interest.ts restateDays): one append-only row per day, with the
 * principal it was charged on, the real one and the difference in interest, linked to the day whose accrual
 * posts the difference — for interest (interest_restatement) and default interest (default_interest_restatement) alike.
 */
import type { Money } from '../../domain/money';
import type { Restatement } from '../../domain/interest';
import { Prisma, type Db } from '../client';

export type RestatedDaysTable = 'interest_restatement' | 'default_interest_restatement';

/** A restatement with, for each day, the principal it was charged on and the one the ledger now says it had. */
export type RestatementOfDays = Omit<Restatement, 'days'> & { days: (Restatement['days'][number] & { principalCharged: Money; principalActual: Money })[] };

export async function recordRestatedDays(db: Db, table: RestatedDaysTable, lineId: string, restatedBy: string, restatement: RestatementOfDays): Promise<void> {
  const restated = restatement.days.map((day) => ({
    credit_line_id: lineId,
    restated_date: day.date,
    restated_by: restatedBy,
    principal_before: day.principalCharged.toFixedString(),
    principal_after: day.principalActual.toFixedString(),
    interest_difference: day.interestDifference.toFixed(),
  }));
  await db.$executeRaw(Prisma.sql`
    INSERT INTO ${Prisma.raw(table)} (credit_line_id, restated_date, restated_by, principal_before, principal_after, interest_difference)
    SELECT r.credit_line_id, r.restated_date, r.restated_by, r.principal_before, r.principal_after, r.interest_difference
      FROM jsonb_to_recordset(${JSON.stringify(restated)}::jsonb) AS r(
             credit_line_id UUID, restated_date DATE, restated_by DATE, principal_before NUMERIC, principal_after NUMERIC, interest_difference NUMERIC)`);
}
