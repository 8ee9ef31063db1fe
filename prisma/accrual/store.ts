/**
 * Daily interest accrual: one interest_accrual row and at most one journal
 * entry per credit line and day.
 *
 * A line-day is accrued in its own transaction, serialised per line by an
 * advisory lock on the line (never a lock shared between lines, so accruing
 * many lines at once does not queue on a hot row): read the principal at the
 * end of the day from the ledger, carry in the remainder of the line's
 * previous day, apply accrueDay() (domain/interest.ts), post
 * Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME under the key
 * `accrual:<lineId>:<date>` and insert the row. Accrual runs forward: a day
 * before the line's latest accrued day is refused, and days missed since the
 * latest accrued day (or since the line opened) are accrued first, in order,
 * so that no day is ever skipped and the remainder chain is unbroken.
 */
import type { Decimal } from 'decimal.js';
import { accrueDay, dayCountBasis, type DayCount } from '../../domain/interest';
import { BusinessRuleError, InvariantViolation, NotFoundError } from '../../domain/errors';
import { requireIsoDate, requireUuid } from '../../domain/ledger';
import { D, Money } from '../../domain/money';
import { Prisma, inTransaction, type Db, type PrismaClient } from '../client';
import { balances, postEntry } from '../ledger/store';

/** Days a single call may accrue to catch up a line whose accrual fell behind; beyond it, back-fill with `npm run accrue`. */
export const CATCH_UP_DAYS_MAX = 366;
export const ACCRUAL_BATCH_SIZE_MAX = 1000;
/** Lines of one batch accrued at the same time (each in its own transaction, so at most this many connections). */
export const ACCRUAL_CONCURRENCY_MAX = 16;

/** Statuses in which a line accrues interest: everything but CLOSED. */
const ACCRUING_STATUSES = ['ACTIVE', 'FROZEN', 'IN_DEFAULT'] as const;

export interface InterestAccrualRecord {
  creditLineId: string;
  /** 'YYYY-MM-DD' */
  accrualDate: string;
  currency: string;
  annualInterestRate: Decimal;
  dayCount: DayCount;
  /** LOAN_PRINCIPAL at the end of the day. */
  outstandingPrincipal: Money;
  /** principal × rate ÷ basis, unrounded. */
  exactInterest: Decimal;
  carriedIn: Decimal;
  /** What the day's entry posted (0.00 when nothing was). */
  postedInterest: Money;
  carriedOut: Decimal;
  ledgerEntryId: string | null;
  createdAt: Date;
}

export interface LineDayAccrual {
  accrual: InterestAccrualRecord;
  /** True when the day had been accrued before and nothing new was written. */
  alreadyAccrued: boolean;
  /** Earlier days this call accrued first because the line had fallen behind. */
  daysCaughtUp: number;
  /** What those earlier days posted (0 when none). */
  caughtUpPosted: Money;
}

export interface AccrualCounts {
  /** 'YYYY-MM-DD' */
  accrualDate: string;
  /** Lines whose day was accrued by this call. */
  linesAccrued: number;
  /** Lines whose day had been accrued before (nothing written). */
  linesAlreadyAccrued: number;
  /** Earlier missed days accrued on the way (see accrueLineDay). */
  daysCaughtUp: number;
  /** Interest posted by this call (the date and any days caught up), per currency, at currency scale. */
  postedByCurrency: Record<string, string>;
}

// ─── One line, one day ───────────────────────────────────────────────────────

/**
 * Accrues `lineId`'s interest for `date` ('YYYY-MM-DD'), once: a day already
 * accrued is returned as it is. Refuses a date before the line opened or
 * before its latest accrued day (BusinessRuleError 'accrual_runs_forward').
 */
export async function accrueLineDay(prisma: PrismaClient, lineId: string, date: string): Promise<LineDayAccrual> {
  requireUuid(lineId, 'lineId');
  requireIsoDate(date, 'date');
  const existing = await findAccrual(prisma, lineId, date);
  if (existing) return { accrual: existing, alreadyAccrued: true, daysCaughtUp: 0, caughtUpPosted: Money.zero(existing.currency) };
  let caughtUpPosted: Money | null = null;
  for (let daysCaughtUp = 0; ; daysCaughtUp++) {
    const step = await accrueNextDayUpTo(prisma, lineId, date);
    if (step.accrual.accrualDate === date) {
      return { ...step, daysCaughtUp, caughtUpPosted: caughtUpPosted ?? Money.zero(step.accrual.currency) };
    }
    caughtUpPosted = (caughtUpPosted ?? Money.zero(step.accrual.currency)).plus(step.accrual.postedInterest);
    if (daysCaughtUp >= CATCH_UP_DAYS_MAX) {
      throw new InvariantViolation(`accrual of line ${lineId} reaches ${date} within ${CATCH_UP_DAYS_MAX} catch-up days`);
    }
  }
}

/** The accrued day, if it was. */
export async function findAccrual(db: Db, lineId: string, date: string): Promise<InterestAccrualRecord | null> {
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    SELECT ${ACCRUAL_COLUMNS} FROM interest_accrual
     WHERE credit_line_id = ${lineId}::uuid AND accrual_date = ${date}::date`);
  return rows.length === 0 ? null : accrualFromRow(rows[0]);
}

/** A line's accrued days from `from` to `to` (inclusive), in date order. */
export async function accrualsOfLine(db: Db, lineId: string, period: { from: string; to: string }): Promise<InterestAccrualRecord[]> {
  requireUuid(lineId, 'lineId');
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    SELECT ${ACCRUAL_COLUMNS} FROM interest_accrual
     WHERE credit_line_id = ${lineId}::uuid
       AND accrual_date BETWEEN ${requireIsoDate(period.from, 'from')}::date AND ${requireIsoDate(period.to, 'to')}::date
     ORDER BY accrual_date`);
  return rows.map(accrualFromRow);
}

/**
 * In one transaction: the line's next day to accrue — the day after its
 * latest accrued day, or the day it opened — if that is not after `date`.
 * Answers the row for `date` when it is already there.
 */
async function accrueNextDayUpTo(prisma: PrismaClient, lineId: string, date: string): Promise<{ accrual: InterestAccrualRecord; alreadyAccrued: boolean }> {
  try {
    return await inTransaction(prisma, async (tx) => {
      // Per-line lock: two days of one line never interleave (the later must see the earlier's remainder).
      await tx.$executeRaw(Prisma.sql`SELECT pg_advisory_xact_lock(hashtextextended(${`interest_accrual:${lineId}`}, 0))`);
      const line = await lineForAccrual(tx, lineId);
      const latest = await latestAccrual(tx, lineId);
      if (latest && latest.accrualDate >= date) {
        const sameDay = latest.accrualDate === date ? latest : await findAccrual(tx, lineId, date);
        if (sameDay) return { accrual: sameDay, alreadyAccrued: true };
        throw new BusinessRuleError(
          'accrual_runs_forward',
          `credit line ${lineId} is accrued up to ${latest.accrualDate}; ${date} is earlier and was not accrued (accrual runs forward, one day after another)`,
        );
      }
      if (date < line.openedOn) {
        throw new BusinessRuleError('accrual_runs_forward', `credit line ${lineId} opened on ${line.openedOn}; it accrues no interest for ${date}`);
      }
      const nextDate = latest ? addDays(latest.accrualDate, 1) : line.openedOn;
      if (daysBetween(nextDate, date) > CATCH_UP_DAYS_MAX) {
        throw new BusinessRuleError(
          'accrual_too_far_behind',
          `credit line ${lineId} is accrued up to ${latest?.accrualDate ?? `its opening (${line.openedOn})`}; ` +
            `accruing ${date} would catch up more than ${CATCH_UP_DAYS_MAX} days — back-fill from ${nextDate} with npm run accrue`,
        );
      }
      const accrual = await accrueOneDay(tx, line, nextDate, latest?.carriedOut ?? new D(0));
      return { accrual, alreadyAccrued: false };
    });
  } catch (error) {
    // The lock makes this rare (e.g. a writer that bypassed it): the row that won is the answer.
    if (!isUniqueViolation(error)) throw error;
    const winner = await findAccrual(prisma, lineId, date);
    if (!winner) throw error;
    return { accrual: winner, alreadyAccrued: true };
  }
}

interface LineForAccrual {
  id: string;
  currency: string;
  annualInterestRate: Decimal;
  dayCount: DayCount;
  openedOn: string;
  principalAccountId: string;
  interestReceivableAccountId: string;
  interestIncomeAccountId: string;
}

async function lineForAccrual(db: Db, lineId: string): Promise<LineForAccrual> {
  const rows = await db.$queryRaw<
    { currency: string; rate: string; day_count: DayCount; opened_on: string; principal: string | null; receivable: string | null; income: string | null }[]
  >(Prisma.sql`
    SELECT l.currency, l.annual_interest_rate::text AS rate, l.day_count::text AS day_count,
           to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'LOAN_PRINCIPAL') AS principal,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'INTEREST_RECEIVABLE') AS receivable,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'INTEREST_INCOME') AS income
      FROM credit_line l WHERE l.id = ${lineId}::uuid`);
  const row = rows[0];
  if (!row) throw new NotFoundError('credit line', lineId);
  if (!row.principal || !row.receivable || !row.income) {
    throw new InvariantViolation(`credit line ${lineId} has LOAN_PRINCIPAL, INTEREST_RECEIVABLE and INTEREST_INCOME accounts`);
  }
  return {
    id: lineId,
    currency: row.currency.trim(),
    annualInterestRate: new D(row.rate),
    dayCount: row.day_count,
    openedOn: row.opened_on,
    principalAccountId: row.principal,
    interestReceivableAccountId: row.receivable,
    interestIncomeAccountId: row.income,
  };
}

async function latestAccrual(db: Db, lineId: string): Promise<InterestAccrualRecord | null> {
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    SELECT ${ACCRUAL_COLUMNS} FROM interest_accrual
     WHERE credit_line_id = ${lineId}::uuid ORDER BY accrual_date DESC LIMIT 1`);
  return rows.length === 0 ? null : accrualFromRow(rows[0]);
}

async function accrueOneDay(db: Db, line: LineForAccrual, date: string, carriedIn: Decimal): Promise<InterestAccrualRecord> {
  const [principal] = await balances(db, { accountIds: [line.principalAccountId], asOf: date });
  const day = accrueDay({
    outstandingPrincipal: principal.balance,
    annualRate: line.annualInterestRate,
    dayCount: line.dayCount,
    carriedRemainder: carriedIn,
  });
  let ledgerEntryId: string | null = null;
  if (day.posted.isPositive()) {
    const entry = await postEntry(db, {
      idempotencyKey: `accrual:${line.id}:${date}`,
      description: `Interest for ${date}: ${principal.balance.format()} × ${line.annualInterestRate.toFixed()} ÷ ${dayCountBasis(line.dayCount)}`,
      effectiveDate: date,
      accountSetId: line.id,
      metadata: { kind: 'interest_accrual', creditLineId: line.id, accrualDate: date },
      lines: [
        { accountId: line.interestReceivableAccountId, side: 'DEBIT', amount: day.posted },
        { accountId: line.interestIncomeAccountId, side: 'CREDIT', amount: day.posted },
      ],
    });
    ledgerEntryId = entry.id;
  }
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    INSERT INTO interest_accrual (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
                                  outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id)
    VALUES (${line.id}::uuid, ${date}::date, ${line.currency}, ${line.annualInterestRate.toFixed()}::numeric,
            ${line.dayCount}::"DayCountConvention", ${principal.balance.toFixedString()}::numeric,
            ${day.exactInterest.toFixed()}::numeric, ${carriedIn.toFixed()}::numeric, ${day.posted.toFixedString()}::numeric,
            ${day.carriedRemainder.toFixed()}::numeric, ${ledgerEntryId}::uuid)
    RETURNING ${ACCRUAL_COLUMNS}`);
  return accrualFromRow(rows[0]);
}

// ─── Many lines ──────────────────────────────────────────────────────────────

/** Lines that accrue on `date` (not CLOSED, opened on or before it), in id order after `afterLineId`. */
export async function listLinesToAccrue(db: Db, date: string, afterLineId: string | null, limit: number): Promise<string[]> {
  requireIsoDate(date, 'date');
  if (afterLineId !== null) requireUuid(afterLineId, 'afterLineId');
  requireBatchSize(limit);
  const rows = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    SELECT id::text FROM credit_line
     WHERE status::text = ANY(${[...ACCRUING_STATUSES]}::text[])
       AND created_at < (${date}::date + 1)::timestamp AT TIME ZONE 'UTC'
       AND (${afterLineId}::uuid IS NULL OR id > ${afterLineId}::uuid)
     ORDER BY id
     LIMIT ${limit}`);
  return rows.map((row) => row.id);
}

/** Accrues `date` for each of `lineIds`, a few at a time, each line in its own transaction(s). */
export async function accrueLines(
  prisma: PrismaClient,
  date: string,
  lineIds: readonly string[],
  options: { concurrency?: number } = {},
): Promise<AccrualCounts> {
  requireIsoDate(date, 'date');
  requireBatchSize(lineIds.length);
  const concurrency = Math.min(options.concurrency ?? 4, ACCRUAL_CONCURRENCY_MAX);
  const counts = emptyCounts(date);
  const posted = new Map<string, Money>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lineIds.length) {
      const lineId = lineIds[next++];
      const result = await accrueLineDay(prisma, lineId, date);
      counts.daysCaughtUp += result.daysCaughtUp;
      addPosted(posted, result.caughtUpPosted);
      if (result.alreadyAccrued) {
        counts.linesAlreadyAccrued += 1;
        continue;
      }
      counts.linesAccrued += 1;
      addPosted(posted, result.accrual.postedInterest);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, lineIds.length)) }, worker));
  counts.postedByCurrency = postedAsStrings(posted);
  return counts;
}

/** Accrues `date` for every line that accrues on it, `batchSize` lines at a time. */
export async function accrueDate(
  prisma: PrismaClient,
  date: string,
  options: { batchSize?: number; concurrency?: number } = {},
): Promise<AccrualCounts> {
  const batchSize = options.batchSize ?? 200;
  let total = emptyCounts(date);
  for (let afterLineId: string | null = null; ; ) {
    const lineIds = await listLinesToAccrue(prisma, date, afterLineId, batchSize);
    if (lineIds.length === 0) return total;
    total = addCounts(total, await accrueLines(prisma, date, lineIds, options));
    afterLineId = lineIds[lineIds.length - 1];
  }
}

export function emptyCounts(date: string): AccrualCounts {
  return { accrualDate: date, linesAccrued: 0, linesAlreadyAccrued: 0, daysCaughtUp: 0, postedByCurrency: {} };
}

/** Sums two tallies of the same date (amounts as exact decimals). */
export function addCounts(a: AccrualCounts, b: AccrualCounts): AccrualCounts {
  if (a.accrualDate !== b.accrualDate) throw new InvariantViolation(`counts of one date are added; got ${a.accrualDate} and ${b.accrualDate}`);
  const posted = new Map<string, Money>();
  for (const [currency, amount] of [...Object.entries(a.postedByCurrency), ...Object.entries(b.postedByCurrency)]) {
    posted.set(currency, (posted.get(currency) ?? Money.zero(currency)).plus(Money.of(amount, currency)));
  }
  return {
    accrualDate: a.accrualDate,
    linesAccrued: a.linesAccrued + b.linesAccrued,
    linesAlreadyAccrued: a.linesAlreadyAccrued + b.linesAlreadyAccrued,
    daysCaughtUp: a.daysCaughtUp + b.daysCaughtUp,
    postedByCurrency: postedAsStrings(posted),
  };
}

function addPosted(posted: Map<string, Money>, amount: Money): void {
  if (amount.isZero() && !posted.has(amount.currency)) return;
  posted.set(amount.currency, (posted.get(amount.currency) ?? Money.zero(amount.currency)).plus(amount));
}

function postedAsStrings(posted: Map<string, Money>): Record<string, string> {
  return Object.fromEntries([...posted.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => [currency, amount.toFixedString()]));
}

function requireBatchSize(size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > ACCRUAL_BATCH_SIZE_MAX) {
    throw new BusinessRuleError('accrual_batch_too_large', `an accrual batch has 0 to ${ACCRUAL_BATCH_SIZE_MAX} lines; got ${size}`);
  }
}

// ─── Dates ───────────────────────────────────────────────────────────────────

export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Every date from `from` to `to`, inclusive. */
export function datesFromTo(from: string, to: string): string[] {
  requireIsoDate(from, 'from');
  requireIsoDate(to, 'to');
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

// ─── Rows ────────────────────────────────────────────────────────────────────

const ACCRUAL_COLUMNS = Prisma.sql`
  credit_line_id::text, accrual_date::text, currency, annual_interest_rate::text, day_count::text,
  outstanding_principal::text, exact_interest::text, carried_in::text, posted_interest::text, carried_out::text,
  ledger_entry_id::text, created_at`;

interface AccrualRow {
  credit_line_id: string;
  accrual_date: string;
  currency: string;
  annual_interest_rate: string;
  day_count: DayCount;
  outstanding_principal: string;
  exact_interest: string;
  carried_in: string;
  posted_interest: string;
  carried_out: string;
  ledger_entry_id: string | null;
  created_at: Date;
}

function accrualFromRow(row: AccrualRow): InterestAccrualRecord {
  const currency = row.currency.trim();
  return {
    creditLineId: row.credit_line_id,
    accrualDate: row.accrual_date,
    currency,
    annualInterestRate: new D(row.annual_interest_rate),
    dayCount: row.day_count,
    outstandingPrincipal: Money.of(row.outstanding_principal, currency),
    exactInterest: new D(row.exact_interest),
    carriedIn: new D(row.carried_in),
    postedInterest: Money.of(row.posted_interest, currency),
    carriedOut: new D(row.carried_out),
    ledgerEntryId: row.ledger_entry_id,
    createdAt: row.created_at,
  };
}

function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2002') return true;
    const meta = error.meta as { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } } | undefined;
    return meta?.code === '23505' || meta?.driverAdapterError?.cause?.originalCode === '23505' || meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation';
  }
  return false;
}
