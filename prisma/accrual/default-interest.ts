/**
 * Default interest, posted by the daily accrual of the line's day (prisma/accrual/store.ts accrueOneDay), in the
 * same transaction, under the same per-line lock, with its own remainder chain (rules in domain/delinquency.ts).
 *
 * When the day's accrual finds the line's principal unpaid past its maturity date beyond the grace period (all
 * under the terms in force on the day), the days past due not charged yet — the day itself, and on the first
 * day after the grace period the grace period's days — are charged: each on the principal it had at its end, at
 * the default spread and day count of its own terms. One entry, keyed by line and day:
 *
 *   Dr INTEREST_RECEIVABLE / Cr DEFAULT_INTEREST_INCOME
 *
 * so that what the seller owes for it is interest in the waterfall (paid with interest, the oldest first) while
 * the lender's income shows it apart; the account is created for the line the first time it is needed. One row
 * per day charged (default_interest_accrual); the row of the day that posts carries the posting's figures.
 */
import type { Decimal } from 'decimal.js';
import { chargeDefaultInterest, defaultInterestDaysToCharge, isMatured } from '../../domain/delinquency';
import { InvariantViolation } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import { describeFraction, dayFraction } from '../../domain/day-count';
import { Prisma, type Db } from '../client';
import { balances, createAccountSet, postEntry } from '../ledger/store';
import { DEFAULT_INTEREST_ACCOUNT } from '../credit-lines/store';
import { termsOfDay, type LineForAccrual } from './store';

/** Whether the line's day may charge default interest: a default spread, on or after maturity, principal owed. */
export function mayOweDefaultInterest(line: Pick<LineForAccrual, 'maturityDate' | 'delinquency'>, date: string, principalAtEndOfDay: Money): boolean {
  return line.delinquency.defaultInterestSpread.gt(0) && isMatured(line.maturityDate, date) && principalAtEndOfDay.isPositive();
}

/** Charges the default interest the accrual of `date` owes, if any (see the file comment). */
export async function accrueDefaultInterest(db: Db, line: LineForAccrual, date: string, principalAtEndOfDay: Money): Promise<void> {
  if (!mayOweDefaultInterest(line, date, principalAtEndOfDay)) return;
  const charged = await db.$queryRaw<{ accrual_date: string }[]>(Prisma.sql`
    SELECT accrual_date::text FROM default_interest_accrual
     WHERE credit_line_id = ${line.id}::uuid AND accrual_date BETWEEN ${line.maturityDate}::date AND ${date}::date`);
  const days = defaultInterestDaysToCharge({
    date,
    maturityDate: line.maturityDate,
    gracePeriodDays: line.delinquency.gracePeriodDays,
    principalAtEndOfDate: principalAtEndOfDay,
    alreadyCharged: new Set(charged.map((row) => row.accrual_date)),
  });
  if (days.length === 0) return;
  const chargedDays = [];
  for (const day of days) {
    if (day === date) {
      chargedDays.push({ date: day, overduePrincipal: principalAtEndOfDay, spread: line.delinquency.defaultInterestSpread, dayCount: line.dayCount });
      continue;
    }
    const terms = await termsOfDay(db, line.id, day);
    const [principal] = await balances(db, { accountIds: [line.principalAccountId], asOf: day });
    chargedDays.push({ date: day, overduePrincipal: principal.balance, spread: terms.delinquency.defaultInterestSpread, dayCount: terms.dayCount });
  }
  const charge = chargeDefaultInterest({ days: chargedDays, carriedRemainder: await carriedIn(db, line.id), currency: line.currency });
  let entryId: string | null = null;
  if (charge.posted.isPositive()) {
    const [income] = await createAccountSet(db, { accountSetId: line.id, currency: line.currency, accounts: [DEFAULT_INTEREST_ACCOUNT] });
    const entry = await postEntry(db, {
      idempotencyKey: `default-interest:${line.id}:${date}`,
      description: describe(charge.days, charge.posted),
      effectiveDate: date,
      accountSetId: line.id,
      metadata: { kind: 'default_interest', creditLineId: line.id, accrualDate: date, days: charge.days.map((day) => day.date) },
      lines: [
        { accountId: line.interestReceivableAccountId, side: 'DEBIT', amount: charge.posted },
        { accountId: income.id, side: 'CREDIT', amount: charge.posted },
      ],
    });
    entryId = entry.id;
  }
  const rows = charge.days.map((day) => {
    const posting = day.date === date;
    return {
      credit_line_id: line.id,
      accrual_date: day.date,
      charged_on: date,
      currency: line.currency,
      default_spread: day.spread.toFixed(),
      day_count: day.dayCount,
      overdue_principal: day.overduePrincipal.toFixedString(),
      exact_interest: day.exactInterest.toFixed(),
      carried_in: posting ? charge.carriedIn.toFixed() : '0',
      carried_out: posting ? charge.carriedRemainder.toFixed() : '0',
      charged_interest: posting ? charge.exactInterest.toFixed() : '0',
      posted_interest: posting ? charge.posted.toFixedString() : '0',
      ledger_entry_id: posting ? entryId : null,
    };
  });
  await db.$executeRaw(Prisma.sql`
    INSERT INTO default_interest_accrual (credit_line_id, accrual_date, charged_on, currency, default_spread, day_count, overdue_principal,
                                          exact_interest, carried_in, carried_out, charged_interest, posted_interest, ledger_entry_id)
    SELECT r.credit_line_id, r.accrual_date, r.charged_on, r.currency, r.default_spread, r.day_count, r.overdue_principal,
           r.exact_interest, r.carried_in, r.carried_out, r.charged_interest, r.posted_interest, r.ledger_entry_id
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(
             credit_line_id UUID, accrual_date DATE, charged_on DATE, currency TEXT, default_spread NUMERIC, day_count "DayCountConvention",
             overdue_principal NUMERIC, exact_interest NUMERIC, carried_in NUMERIC, carried_out NUMERIC, charged_interest NUMERIC,
             posted_interest NUMERIC, ledger_entry_id UUID)`);
}

/** The remainder the line's latest posting day carried out (0 before the first). */
async function carriedIn(db: Db, lineId: string): Promise<Decimal> {
  const [row] = await db.$queryRaw<{ carried_out: string }[]>(Prisma.sql`
    SELECT carried_out::text FROM default_interest_accrual
     WHERE credit_line_id = ${lineId}::uuid AND accrual_date = charged_on ORDER BY charged_on DESC LIMIT 1`);
  return new D(row?.carried_out ?? 0);
}

function describe(days: readonly { date: string; overduePrincipal: Money; spread: Decimal; dayCount: LineForAccrual['dayCount'] }[], posted: Money): string {
  if (days.length === 0) throw new InvariantViolation('a default-interest entry charges at least one day');
  const shown = days
    .slice(0, 5)
    .map((day) => `${day.date} ${day.overduePrincipal.format()} × ${day.spread.toFixed()} × ${describeFraction(dayFraction(day.dayCount, day.date))} (${day.dayCount})`)
    .join('; ');
  return `Default interest on overdue principal, ${days.length === 1 ? days[0].date : `${days[0].date} to ${days[days.length - 1].date}`}: ${shown}${days.length > 5 ? '; …' : ''} = ${posted.format()}`;
}
