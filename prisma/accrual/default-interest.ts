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
 *
 * Restated the way interest is (prisma/accrual/store.ts restatementDue): first, days already charged whose overdue
 * principal changed since (a repayment dated into them, recorded after their night) are recomputed on the principal
 * the ledger now gives them (domain/interest.ts restateDays, at the spread and day count each was charged at), and
 * the difference is posted as its own entry keyed by line and day (`default-interest-restatement:…`):
 *
 *   under-charged: Dr INTEREST_RECEIVABLE / Cr DEFAULT_INTEREST_INCOME
 *   over-charged:  Dr DEFAULT_INTEREST_INCOME / Cr INTEREST_RECEIVABLE as far as it holds, the rest Cr SELLER_PAYABLE
 *
 * linked to the days it restates by default_interest_restatement rows, its remainder carried into the day's own
 * charge on the same row (default_interest_accrual_remainder_carried). A day that restates earlier days but owes
 * no default interest itself (its principal is repaid, say) still gets its row — charged nothing, at spread 0 — to
 * carry the restatement's figures and the remainder chain. Appended, never updated.
 */
import type { Decimal } from 'decimal.js';
import { chargeDefaultInterest, defaultInterestDaysToCharge, isMatured } from '../../domain/delinquency';
import { InvariantViolation } from '../../domain/errors';
import type { ProposedLine } from '../../domain/ledger';
import { restateDays, type DayCount, type Restatement } from '../../domain/interest';
import { D, Money } from '../../domain/money';
import { describeFraction, dayFraction } from '../../domain/day-count';
import { Prisma, type Db } from '../client';
import { balances, createAccountSet, postEntry, type PostEntryInput } from '../ledger/store';
import { DEFAULT_INTEREST_ACCOUNT } from '../credit-lines/store';
import { recordRestatedDays } from './restated-days';
import { dayRanges, termsOfDay, type LineForAccrual } from './store';

/** Whether the line's day may charge default interest: a default spread, on or after maturity, principal owed. */
export function mayOweDefaultInterest(line: Pick<LineForAccrual, 'maturityDate' | 'delinquency'>, date: string, principalAtEndOfDay: Money): boolean {
  return line.delinquency.defaultInterestSpread.gt(0) && isMatured(line.maturityDate, date) && principalAtEndOfDay.isPositive();
}

/** Restates the days already charged whose overdue principal changed, then charges what `date` owes, if any (see the file comment). */
export async function accrueDefaultInterest(db: Db, line: LineForAccrual, date: string, principalAtEndOfDay: Money): Promise<void> {
  const carried = await carriedIn(db, line.id);
  const restatement = await defaultRestatementDue(db, line, date, carried);
  const days = mayOweDefaultInterest(line, date, principalAtEndOfDay) ? await daysToCharge(db, line, date, principalAtEndOfDay) : [];
  if (days.length === 0 && !restatement) return;
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
  // Only restating: the day charges nothing itself (spread 0) and carries the restatement's figures.
  if (chargedDays.length === 0) chargedDays.push({ date, overduePrincipal: principalAtEndOfDay, spread: new D(0), dayCount: line.dayCount });
  const charge = chargeDefaultInterest({ days: chargedDays, carriedRemainder: restatement?.carriedRemainder ?? carried, currency: line.currency });
  const needsIncomeAccount = charge.posted.isPositive() || (restatement !== null && !restatement.posted.isZero());
  const income = needsIncomeAccount ? (await createAccountSet(db, { accountSetId: line.id, currency: line.currency, accounts: [DEFAULT_INTEREST_ACCOUNT] }))[0] : null;
  let restatementEntryId: string | null = null;
  if (restatement && !restatement.posted.isZero() && income) {
    restatementEntryId = (await postEntry(db, await restatementEntry(db, line, date, restatement, income.id))).id;
  }
  let entryId: string | null = null;
  if (charge.posted.isPositive() && income) {
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
      carried_in: posting ? carried.toFixed() : '0',
      carried_out: posting ? charge.carriedRemainder.toFixed() : '0',
      charged_interest: posting ? charge.exactInterest.toFixed() : '0',
      posted_interest: posting ? charge.posted.toFixedString() : '0',
      ledger_entry_id: posting ? entryId : null,
      restated_interest: posting && restatement ? restatement.restatedInterest.toFixed() : '0',
      restatement_posted: posting && restatement ? restatement.posted.toFixedString() : '0',
      restatement_entry_id: posting ? restatementEntryId : null,
    };
  });
  await db.$executeRaw(Prisma.sql`
    INSERT INTO default_interest_accrual (credit_line_id, accrual_date, charged_on, currency, default_spread, day_count, overdue_principal,
                                          exact_interest, carried_in, carried_out, charged_interest, posted_interest, ledger_entry_id,
                                          restated_interest, restatement_posted, restatement_entry_id)
    SELECT r.credit_line_id, r.accrual_date, r.charged_on, r.currency, r.default_spread, r.day_count, r.overdue_principal,
           r.exact_interest, r.carried_in, r.carried_out, r.charged_interest, r.posted_interest, r.ledger_entry_id,
           r.restated_interest, r.restatement_posted, r.restatement_entry_id
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(
             credit_line_id UUID, accrual_date DATE, charged_on DATE, currency TEXT, default_spread NUMERIC, day_count "DayCountConvention",
             overdue_principal NUMERIC, exact_interest NUMERIC, carried_in NUMERIC, carried_out NUMERIC, charged_interest NUMERIC,
             posted_interest NUMERIC, ledger_entry_id UUID, restated_interest NUMERIC, restatement_posted NUMERIC, restatement_entry_id UUID)`);
  if (restatement) await recordRestatedDays(db, 'default_interest_restatement', line.id, date, restatement);
}

/** The days past due `date`'s accrual charges (domain/delinquency.ts defaultInterestDaysToCharge). */
async function daysToCharge(db: Db, line: LineForAccrual, date: string, principalAtEndOfDay: Money): Promise<string[]> {
  const charged = await db.$queryRaw<{ accrual_date: string }[]>(Prisma.sql`
    SELECT accrual_date::text FROM default_interest_accrual
     WHERE credit_line_id = ${line.id}::uuid AND accrual_date BETWEEN ${line.maturityDate}::date AND ${date}::date`);
  return defaultInterestDaysToCharge({
    date,
    maturityDate: line.maturityDate,
    gracePeriodDays: line.delinquency.gracePeriodDays,
    principalAtEndOfDate: principalAtEndOfDay,
    alreadyCharged: new Set(charged.map((row) => row.accrual_date)),
  });
}

interface DueDefaultRestatement extends Restatement {
  days: (Restatement['days'][number] & { principalCharged: Money; principalActual: Money })[];
}

/**
 * The restatement of the line's days charged default interest before `date` whose overdue principal (the
 * principal at the end of the day) now differs from the one they were charged on (their row's, or their latest
 * restatement's), or null when none does. Days charged at spread 0 owe nothing whatever their principal.
 */
async function defaultRestatementDue(db: Db, line: LineForAccrual, date: string, carried: Decimal): Promise<DueDefaultRestatement | null> {
  const rows = await db.$queryRaw<{ accrual_date: string; spread: string; day_count: DayCount; charged: string; actual: string }[]>(Prisma.sql`
    SELECT * FROM (
      SELECT d.accrual_date::text, d.default_spread::text AS spread, d.day_count::text AS day_count,
             coalesce(restated.principal_after, d.overdue_principal)::text AS charged,
             (SELECT coalesce(sum(ledger_signed_amount(p.normal_balance, jl.side, jl.amount)), 0)
                FROM ledger_account p JOIN journal_line jl ON jl.account_id = p.id JOIN journal_entry e ON e.id = jl.entry_id
               WHERE p.id = ${line.principalAccountId}::uuid AND e.effective_date <= d.accrual_date)::text AS actual
        FROM default_interest_accrual d
        LEFT JOIN LATERAL (SELECT r.principal_after FROM default_interest_restatement r
                            WHERE r.credit_line_id = d.credit_line_id AND r.restated_date = d.accrual_date
                            ORDER BY r.restated_by DESC LIMIT 1) AS restated ON true
       WHERE d.credit_line_id = ${line.id}::uuid AND d.accrual_date < ${date}::date AND d.default_spread > 0) AS day
     WHERE day.charged::numeric <> day.actual::numeric
     ORDER BY day.accrual_date`);
  if (rows.length === 0) return null;
  const inputs = rows.map((row) => ({
    date: row.accrual_date,
    principalCharged: Money.of(row.charged, line.currency),
    principalActual: Money.of(row.actual, line.currency),
    annualRate: new D(row.spread),
    dayCount: row.day_count,
  }));
  const restatement = restateDays({ days: inputs, carriedRemainder: carried, currency: line.currency });
  return { ...restatement, days: restatement.days.map((day, index) => ({ ...day, principalCharged: inputs[index].principalCharged, principalActual: inputs[index].principalActual })) };
}

/** The restatement's entry, keyed by line and the day that posts it (see the file comment). */
async function restatementEntry(db: Db, line: LineForAccrual, date: string, restatement: DueDefaultRestatement, incomeAccountId: string): Promise<PostEntryInput> {
  const amount = Money.of(restatement.posted.amount.abs(), line.currency);
  let lines: ProposedLine[];
  if (restatement.posted.isPositive()) {
    lines = [
      { accountId: line.interestReceivableAccountId, side: 'DEBIT', amount },
      { accountId: incomeAccountId, side: 'CREDIT', amount },
    ];
  } else {
    const [receivable] = await balances(db, { accountIds: [line.interestReceivableAccountId] });
    const fromReceivable = Money.min(amount, Money.max(receivable.balance, Money.zero(line.currency)));
    const toSeller = amount.minus(fromReceivable);
    lines = [
      { accountId: incomeAccountId, side: 'DEBIT', amount },
      ...(fromReceivable.isPositive() ? [{ accountId: line.interestReceivableAccountId, side: 'CREDIT' as const, amount: fromReceivable }] : []),
      ...(toSeller.isPositive() ? [{ accountId: line.sellerPayableAccountId, side: 'CREDIT' as const, amount: toSeller }] : []),
    ];
  }
  const restatedDays = restatement.days.map((day) => day.date);
  return {
    idempotencyKey: `default-interest-restatement:${line.id}:${date}`,
    description:
      `Default interest restated for ${dayRanges(restatedDays)}: overdue principal changed after ${restatedDays.length === 1 ? 'that day was' : 'those days were'} charged ` +
      `(${restatement.days.map((day) => `${day.date} ${day.principalCharged.format()} → ${day.principalActual.format()}`).slice(0, 5).join('; ')}` +
      `${restatedDays.length > 5 ? '; …' : ''}), ${restatement.posted.isNegative() ? '−' : '+'}${amount.format()}`,
    effectiveDate: date,
    accountSetId: line.id,
    metadata: { kind: 'default_interest_restatement', creditLineId: line.id, accrualDate: date, restatedDays },
    lines,
  };
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
