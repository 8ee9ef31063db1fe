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
 *
 * Many lines (accrueLines, accrueDate) are accrued a batch at a time: the same
 * per-line locks and the same accrueDay() figures, but one transaction and a
 * handful of statements for the whole batch (accrueNextDays), and batches in
 * parallel on separate connections. Nothing is shared between lines — no
 * counter, no common row — so batches never queue behind each other.
 */
import type { Decimal } from 'decimal.js';
import { accrueDay, dayCountBasis, type DayAccrual, type DayCount } from '../../domain/interest';
import { BusinessRuleError, ConflictError, InvariantViolation, NotFoundError } from '../../domain/errors';
import { requireIsoDate, requireUuid } from '../../domain/ledger';
import { D, Money } from '../../domain/money';
import { Prisma, inTransaction, type Db, type PrismaClient } from '../client';
import { balances, postEntry, postingPayloadOf, type PostEntryInput } from '../ledger/store';

/** Days a single call may accrue to catch up a line whose accrual fell behind; beyond it, back-fill with `npm run accrue`. */
export const CATCH_UP_DAYS_MAX = 366;
export const ACCRUAL_BATCH_SIZE_MAX = 1000;
/** Lines per batch transaction in accrueDate: large enough that per-statement costs vanish, small enough to hold locks briefly. */
export const ACCRUAL_BATCH_SIZE_DEFAULT = 250;
/** Batches accrueDate runs at once, each on its own connection (so at most this many connections). */
export const ACCRUAL_CONCURRENCY_MAX = 16;
/** About one batch per server core, plus one whose round trips overlap the others' work. */
export const ACCRUAL_CONCURRENCY_DEFAULT = 3;

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
export async function accrueLineDay(prisma: PrismaClient, lineIdAsGiven: string, date: string): Promise<LineDayAccrual> {
  requireUuid(lineIdAsGiven, 'lineId');
  // Canonical, so that the per-line lock is the same however the id was spelt (accrueLines locks lower-case ids).
  const lineId = lineIdAsGiven.toLowerCase();
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
  const day = accrualOfDay(line, principal.balance, carriedIn);
  let ledgerEntryId: string | null = null;
  if (day.posted.isPositive()) {
    const entry = await postEntry(db, accrualEntry(line, date, principal.balance, day));
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

/** The day's figures: accrueDay() on the line's terms. */
function accrualOfDay(line: LineForAccrual, outstandingPrincipal: Money, carriedIn: Decimal): DayAccrual {
  return accrueDay({ outstandingPrincipal, annualRate: line.annualInterestRate, dayCount: line.dayCount, carriedRemainder: carriedIn });
}

/** The day's entry, Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME, keyed by line and day — the same whichever path posts it. */
function accrualEntry(line: LineForAccrual, date: string, outstandingPrincipal: Money, day: DayAccrual): PostEntryInput {
  return {
    idempotencyKey: `accrual:${line.id}:${date}`,
    description: `Interest for ${date}: ${outstandingPrincipal.format()} × ${line.annualInterestRate.toFixed()} ÷ ${dayCountBasis(line.dayCount)}`,
    effectiveDate: date,
    accountSetId: line.id,
    metadata: { kind: 'interest_accrual', creditLineId: line.id, accrualDate: date },
    lines: [
      { accountId: line.interestReceivableAccountId, side: 'DEBIT', amount: day.posted },
      { accountId: line.interestIncomeAccountId, side: 'CREDIT', amount: day.posted },
    ],
  };
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

/**
 * Accrues `date` for each of `lineIds` as a batch: in one transaction, a few
 * statements for the whole batch whatever its size (lock, read, post, record),
 * with each line's figures from accrueDay() like accrueLineDay's. A line that
 * fell behind takes one more such round per missed day (only the lines still
 * behind take part). A line the batch cannot take — unknown, without its
 * accounts, or whose date would be refused — goes through accrueLineDay, which
 * says why.
 */
export async function accrueLines(prisma: PrismaClient, date: string, lineIds: readonly string[]): Promise<AccrualCounts> {
  requireIsoDate(date, 'date');
  requireBatchSize(lineIds.length);
  lineIds.forEach((lineId, index) => requireUuid(lineId, `lineIds[${index}]`));
  const counts = emptyCounts(date);
  const posted = new Map<string, Money>();
  let pending = [...new Set(lineIds.map((lineId) => lineId.toLowerCase()))];
  // A line listed twice is accrued once; the second mention finds it accrued, as a second call would.
  counts.linesAlreadyAccrued += lineIds.length - pending.length;
  const byLineDay: string[] = [];
  for (let round = 0; pending.length > 0; round++) {
    if (round > CATCH_UP_DAYS_MAX + 1) {
      throw new InvariantViolation(`a batch reaches ${date} within ${CATCH_UP_DAYS_MAX + 1} rounds; ${pending.length} line(s) still behind`);
    }
    const outcomes = await accrueNextDays(prisma, date, pending);
    const stillBehind: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind === 'for_accrue_line_day') {
        byLineDay.push(outcome.lineId);
      } else if (outcome.kind === 'already_accrued') {
        counts.linesAlreadyAccrued += 1;
      } else if (outcome.kind === 'raced') {
        stillBehind.push(outcome.lineId);
      } else {
        addPosted(posted, outcome.posted);
        if (outcome.accrualDate === date) {
          counts.linesAccrued += 1;
        } else {
          counts.daysCaughtUp += 1;
          stillBehind.push(outcome.lineId);
        }
      }
    }
    pending = stillBehind;
  }
  for (const lineId of byLineDay) {
    const result = await accrueLineDay(prisma, lineId, date);
    counts.daysCaughtUp += result.daysCaughtUp;
    addPosted(posted, result.caughtUpPosted);
    if (result.alreadyAccrued) {
      counts.linesAlreadyAccrued += 1;
    } else {
      counts.linesAccrued += 1;
      addPosted(posted, result.accrual.postedInterest);
    }
  }
  counts.postedByCurrency = postedAsStrings(posted);
  return counts;
}

/**
 * Accrues `date` for every line that accrues on it: pages of `batchSize`
 * lines (default 250), up to `concurrency` pages at once (default 3, each on
 * its own connection). Pages are disjoint and a line's accrual touches only
 * that line's rows and accounts, so parallel pages never wait on each other.
 */
export async function accrueDate(
  prisma: PrismaClient,
  date: string,
  options: { batchSize?: number; concurrency?: number } = {},
): Promise<AccrualCounts> {
  requireIsoDate(date, 'date');
  const batchSize = options.batchSize ?? ACCRUAL_BATCH_SIZE_DEFAULT;
  requireBatchSize(batchSize);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? ACCRUAL_CONCURRENCY_DEFAULT, ACCRUAL_CONCURRENCY_MAX));
  let total = emptyCounts(date);
  // Pages are listed one after another (each starts after the last id of the one before).
  let afterLineId: string | null = null;
  let listing: Promise<unknown> = Promise.resolve();
  const nextPage = (): Promise<string[]> => {
    const page = listing.then(async () => {
      const lineIds = await listLinesToAccrue(prisma, date, afterLineId, batchSize);
      if (lineIds.length > 0) afterLineId = lineIds[lineIds.length - 1];
      return lineIds;
    });
    listing = page.catch(() => undefined);
    return page;
  };
  const worker = async (): Promise<void> => {
    for (let lineIds = await nextPage(); lineIds.length > 0; lineIds = await nextPage()) {
      const counts = await accrueLines(prisma, date, lineIds);
      // Added after the await: `total` is shared by the workers, so it is read only once the batch is done.
      total = addCounts(total, counts);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total;
}

/** What one round did for one line of a batch. */
type NextDayOutcome =
  | { kind: 'accrued'; lineId: string; accrualDate: string; posted: Money }
  | { kind: 'already_accrued'; lineId: string }
  /** A row for the line's next day appeared although we held the line's lock (a writer that bypassed it): look again. */
  | { kind: 'raced'; lineId: string }
  | { kind: 'for_accrue_line_day'; lineId: string };

/**
 * One transaction: for each line (lower-case ids, no repeats) that has not
 * accrued `date`, accrues its next day — the day after its latest accrued
 * day, or the day it opened — when that is `date` or a day before it.
 */
async function accrueNextDays(prisma: PrismaClient, date: string, lineIds: readonly string[]): Promise<NextDayOutcome[]> {
  return inTransaction(prisma, async (tx) => {
    await lockLines(tx, lineIds);
    const states = await lineStates(tx, date, lineIds);
    const outcomes: NextDayOutcome[] = [];
    const days: PlannedDay[] = [];
    for (const lineId of lineIds) {
      const state = states.get(lineId);
      if (state?.dateAccrued) {
        outcomes.push({ kind: 'already_accrued', lineId });
        continue;
      }
      const planned = state ? planNextDay(state, date) : null;
      if (planned) days.push(planned);
      else outcomes.push({ kind: 'for_accrue_line_day', lineId });
    }
    const entryIds = await postAccrualEntries(tx, days);
    const recorded = await recordAccruals(tx, days, entryIds);
    for (const day of days) {
      outcomes.push(
        recorded.has(day.line.id)
          ? { kind: 'accrued', lineId: day.line.id, accrualDate: day.date, posted: day.accrual.posted }
          : { kind: 'raced', lineId: day.line.id },
      );
    }
    return outcomes;
  });
}

/** The same per-line locks accrueLineDay takes, in key order so that two batches sharing lines queue rather than deadlock. */
async function lockLines(db: Db, lineIds: readonly string[]): Promise<void> {
  await db.$queryRaw(Prisma.sql`
    SELECT count(pg_advisory_xact_lock(key))::int AS locked
      FROM (SELECT DISTINCT hashtextextended('interest_accrual:' || line_id, 0) AS key
              FROM unnest(${lineIds}::text[]) AS line_id
             ORDER BY 1) AS line_lock`);
}

interface LineState {
  line: LineForAccrual;
  /** 'YYYY-MM-DD' of the latest accrued day, and what it carried out. */
  latest: { accrualDate: string; carriedOut: Decimal } | null;
  /** `date` itself has been accrued. */
  dateAccrued: boolean;
  /** LOAN_PRINCIPAL at the end of the line's next day (from journal lines effective on or before it). */
  principalAtNextDay: Money;
}

interface PlannedDay {
  line: LineForAccrual;
  date: string;
  principal: Money;
  carriedIn: Decimal;
  accrual: DayAccrual;
  entry: PostEntryInput | null;
}

/** The line's next day and its figures, or null when accrueLineDay must handle the line (it would refuse, or explain). */
function planNextDay(state: LineState, date: string): PlannedDay | null {
  const { line, latest } = state;
  if (latest && latest.accrualDate >= date) return null;
  if (date < line.openedOn) return null;
  const nextDate = latest ? addDays(latest.accrualDate, 1) : line.openedOn;
  if (daysBetween(nextDate, date) > CATCH_UP_DAYS_MAX) return null;
  const carriedIn = latest?.carriedOut ?? new D(0);
  const accrual = accrualOfDay(line, state.principalAtNextDay, carriedIn);
  const entry = accrual.posted.isPositive() ? accrualEntry(line, nextDate, state.principalAtNextDay, accrual) : null;
  return { line, date: nextDate, principal: state.principalAtNextDay, carriedIn, accrual, entry };
}

/**
 * Each line's terms, accounts, latest accrued day and principal at the end of
 * its next day, in one statement. The principal is summed from journal lines
 * effective up to that day (as balances(asOf) does), not read from the
 * maintained balance, so that postings effective later do not leak into it.
 */
async function lineStates(db: Db, date: string, lineIds: readonly string[]): Promise<Map<string, LineState>> {
  const rows = await db.$queryRaw<
    {
      id: string;
      currency: string;
      rate: string;
      day_count: DayCount;
      opened_on: string;
      principal_account: string | null;
      receivable_account: string | null;
      income_account: string | null;
      latest_date: string | null;
      latest_carried_out: string | null;
      date_accrued: boolean;
      principal: string | null;
    }[]
  >(Prisma.sql`
    SELECT l.id::text, l.currency, l.annual_interest_rate::text AS rate, l.day_count::text AS day_count,
           to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on,
           p.id::text AS principal_account, r.id::text AS receivable_account, i.id::text AS income_account,
           latest.accrual_date::text AS latest_date, latest.carried_out::text AS latest_carried_out,
           EXISTS (SELECT 1 FROM interest_accrual a WHERE a.credit_line_id = l.id AND a.accrual_date = ${date}::date) AS date_accrued,
           (SELECT coalesce(sum(ledger_signed_amount(p.normal_balance, jl.side, jl.amount)), 0)
              FROM journal_line jl JOIN journal_entry e ON e.id = jl.entry_id
             WHERE jl.account_id = p.id
               AND e.effective_date <= coalesce(latest.accrual_date + 1, (l.created_at AT TIME ZONE 'UTC')::date))::text AS principal
      FROM credit_line l
      LEFT JOIN ledger_account p ON p.account_set_id = l.id AND p.code = 'LOAN_PRINCIPAL'
      LEFT JOIN ledger_account r ON r.account_set_id = l.id AND r.code = 'INTEREST_RECEIVABLE'
      LEFT JOIN ledger_account i ON i.account_set_id = l.id AND i.code = 'INTEREST_INCOME'
      LEFT JOIN LATERAL (SELECT a.accrual_date, a.carried_out FROM interest_accrual a
                          WHERE a.credit_line_id = l.id ORDER BY a.accrual_date DESC LIMIT 1) AS latest ON true
     WHERE l.id = ANY(${lineIds}::uuid[])`);
  const states = new Map<string, LineState>();
  for (const row of rows) {
    // Without its accounts the line is left to accrueLineDay, which reports it.
    if (!row.principal_account || !row.receivable_account || !row.income_account || row.principal === null) continue;
    const currency = row.currency.trim();
    const principal = Money.of(row.principal, currency);
    if (!principal.isAtScale()) throw new InvariantViolation(`LOAN_PRINCIPAL of line ${row.id} is at ${currency} scale; got ${row.principal}`);
    states.set(row.id, {
      line: {
        id: row.id,
        currency,
        annualInterestRate: new D(row.rate),
        dayCount: row.day_count,
        openedOn: row.opened_on,
        principalAccountId: row.principal_account,
        interestReceivableAccountId: row.receivable_account,
        interestIncomeAccountId: row.income_account,
      },
      latest: row.latest_date === null ? null : { accrualDate: row.latest_date, carriedOut: new D(row.latest_carried_out ?? '') },
      dateAccrued: row.date_accrued,
      principalAtNextDay: principal,
    });
  }
  return states;
}

/**
 * Posts the days' entries through the ledger's own post_journal_entry(), one
 * call per entry within one statement: each call locks, checks and updates
 * only that line's two interest accounts, as postEntry would. The payload
 * and content hash are postEntry's, so an entry posted here and one posted by
 * accrueLineDay for the same line-day are the same entry (a replay, not a
 * conflicting reuse of the key). Answers the entry id per line.
 */
async function postAccrualEntries(db: Db, days: readonly PlannedDay[]): Promise<Map<string, string>> {
  const posting = days.flatMap((day) => (day.entry ? [{ lineId: day.line.id, payload: postingPayloadOf(day.entry) }] : []));
  const entryIds = new Map<string, string>();
  if (posting.length === 0) return entryIds;
  const rows = await db.$queryRaw<{ position: number; outcome: string }[]>(Prisma.sql`
    SELECT posting.position::int AS position, post_journal_entry(posting.proposal)::text AS outcome
      FROM jsonb_array_elements(${JSON.stringify(posting.map((entry) => entry.payload))}::jsonb) WITH ORDINALITY AS posting(proposal, position)`);
  if (rows.length !== posting.length) throw new InvariantViolation(`post_journal_entry() answers each of ${posting.length} entries; got ${rows.length}`);
  for (const row of rows) {
    const { lineId, payload } = posting[row.position - 1];
    entryIds.set(lineId, postedEntryId(JSON.parse(row.outcome) as PostingOutcome, payload.idempotency_key));
  }
  return entryIds;
}

type PostingOutcome = { status: 'posted'; entry_id: string } | { status: 'replayed'; entry: { id: string } } | { status: string; entry_id?: string };

function postedEntryId(outcome: PostingOutcome, idempotencyKey: string): string {
  if (outcome.status === 'posted' && 'entry_id' in outcome && outcome.entry_id) return outcome.entry_id;
  if (outcome.status === 'replayed' && 'entry' in outcome) return outcome.entry.id;
  if (outcome.status === 'key_reused') {
    throw new ConflictError(`idempotency key "${idempotencyKey}" was already used for entry ${outcome.entry_id ?? '?'} with different content; an accrual entry is posted once per line-day`);
  }
  // Accrual posts to the line's own accounts in its currency, increasing both: any other refusal is a broken line.
  throw new InvariantViolation(`the accrual entry ${idempotencyKey} is posted or replayed; post_journal_entry() answered ${JSON.stringify(outcome)}`);
}

/** Inserts the days' rows; a row that already exists is left as it is. Answers the lines whose row was inserted. */
async function recordAccruals(db: Db, days: readonly PlannedDay[], entryIds: ReadonlyMap<string, string>): Promise<Set<string>> {
  if (days.length === 0) return new Set();
  const rows = days.map((day) => ({
    credit_line_id: day.line.id,
    accrual_date: day.date,
    currency: day.line.currency,
    annual_interest_rate: day.line.annualInterestRate.toFixed(),
    day_count: day.line.dayCount,
    outstanding_principal: day.principal.toFixedString(),
    exact_interest: day.accrual.exactInterest.toFixed(),
    carried_in: day.carriedIn.toFixed(),
    posted_interest: day.accrual.posted.toFixedString(),
    carried_out: day.accrual.carriedRemainder.toFixed(),
    ledger_entry_id: entryIds.get(day.line.id) ?? null,
  }));
  const inserted = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    INSERT INTO interest_accrual (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
                                  outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id)
    SELECT d.credit_line_id, d.accrual_date, d.currency, d.annual_interest_rate, d.day_count,
           d.outstanding_principal, d.exact_interest, d.carried_in, d.posted_interest, d.carried_out, d.ledger_entry_id
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS d(
             credit_line_id UUID, accrual_date DATE, currency TEXT, annual_interest_rate NUMERIC, day_count "DayCountConvention",
             outstanding_principal NUMERIC, exact_interest NUMERIC, carried_in NUMERIC, posted_interest NUMERIC, carried_out NUMERIC,
             ledger_entry_id UUID)
    ON CONFLICT (credit_line_id, accrual_date) DO NOTHING
    RETURNING credit_line_id::text AS id`);
  return new Set(inserted.map((row) => row.id));
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
