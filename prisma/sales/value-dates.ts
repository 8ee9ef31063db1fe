/**
 * Value dates of the cash a line records (buyer payments, direct repayments,
 * liquidation proceeds through them, payouts to the seller), checked with the
 * one rule of domain/value-dates.ts against what the ledger says existed:
 * cash cannot be dated in the future, before the line opened, before its sale
 * was reported, or before the money it moves existed — principal repaid must
 * have been outstanding (by value date) from that day on, and a payout must
 * have been owed to the seller from that day on.
 */
import type { Money } from '../../domain/money';
import { requireValueDate, utcDay, type EarliestValueDate } from '../../domain/value-dates';
import { Prisma, type Db } from '../client';

/** The line's opening as a lower bound of every value date on it. */
export function lineOpened(line: { id: string; createdAt: Date }): EarliestValueDate {
  return { date: utcDay(line.createdAt), because: `credit line ${line.id} opened` };
}

/** Before anything is read from the ledger: not in the future, not before `earliest` (the line's opening, the sale's report). */
export function requireCashValueDate(field: string, valueDate: string, today: string, earliest: readonly EarliestValueDate[]): string {
  return requireValueDate(field, valueDate, { today, earliest });
}

/**
 * Refuses `valueDate` when `amount` taken out of `accountId` on that day would
 * leave the account below zero on that day or any later one, by value date:
 * the money did not exist yet (e.g. a repayment of principal dated before the
 * disbursement). `what` names the money in the message.
 */
export async function requireMoneyExisted(
  db: Db,
  input: { field: string; valueDate: string; today: string; accountId: string; amount: Money; what: string; earliest: readonly EarliestValueDate[] },
): Promise<void> {
  if (!input.amount.isPositive()) return;
  const [row] = await db.$queryRaw<{ covered_from: string | null }[]>(Prisma.sql`
    WITH daily AS (
      SELECT e.effective_date AS day, sum(ledger_signed_amount(a.normal_balance, jl.side, jl.amount)) AS delta
        FROM journal_line jl JOIN journal_entry e ON e.id = jl.entry_id JOIN ledger_account a ON a.id = jl.account_id
       WHERE jl.account_id = ${input.accountId}::uuid
       GROUP BY e.effective_date),
    running AS (SELECT day, sum(delta) OVER (ORDER BY day) AS balance FROM daily)
    SELECT min(r.day)::text AS covered_from
      FROM running r
     WHERE NOT EXISTS (SELECT 1 FROM running later WHERE later.day >= r.day AND later.balance < ${input.amount.amount.toFixed()}::numeric)`);
  const coveredFrom = row?.covered_from ?? input.today;
  requireValueDate(input.field, input.valueDate, {
    today: input.today,
    earliest: [...input.earliest, { date: coveredFrom, because: `${input.amount.format()} of ${input.what} existed` }],
  });
}
