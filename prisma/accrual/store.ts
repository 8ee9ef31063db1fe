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
import { describeFraction, dayFraction } from '../../domain/day-count';
import { rateOfDay, type Fixing, type RateFlag } from '../../domain/interest-rate';
import { accrueDay, quantizeInterest, restateDays, type DayAccrual, type DayCount, type Restatement } from '../../domain/interest';
import { BusinessRuleError, ConflictError, DomainError, InvariantViolation, NotFoundError, ValidationError } from '../../domain/errors';
import { requireIsoDate, requireUuid, type ProposedLine } from '../../domain/ledger';
import { D, Money } from '../../domain/money';
import { requireAccrualDate, utcDay } from '../../domain/value-dates';
import { Prisma, inTransaction, type Db, type PrismaClient } from '../client';
import { balances, postEntry, postingPayloadOf, type PostEntryInput } from '../ledger/store';
import { notify } from '../notifications/store';
import { applyDueTermsVersions } from '../credit-lines/terms-versions';
import { delinquencyTermsFromJson, type DelinquencyTermsJson } from '../credit-lines/store';
import { NO_DELINQUENCY_TERMS, type DelinquencyTerms } from '../../domain/delinquency';
import { accrueDefaultInterest, mayOweDefaultInterest } from './default-interest';
import { recordRestatedDays } from './restated-days';
import { reviewDelinquency } from '../credit-lines/delinquency';
import { lineMarginWorkflowId } from '../margin/store';
import { enqueueWorkflowCommands } from '../outbox/store';
import { billInterest } from '../credit-lines/interest-billing';

/** Days a single call may accrue to catch up a line whose accrual fell behind; beyond it, back-fill with `npm run accrue`. */
export const CATCH_UP_DAYS_MAX = 366;
export const ACCRUAL_BATCH_SIZE_MAX = 1000;
/** Lines per batch transaction in accrueDate: large enough that per-statement costs vanish, small enough to hold locks briefly. */
export const ACCRUAL_BATCH_SIZE_DEFAULT = 250;
/** Batches accrueDate runs at once, each on its own connection (so at most this many connections). */
export const ACCRUAL_CONCURRENCY_MAX = 16;
/** About one batch per server core, plus one whose round trips overlap the others' work. */
export const ACCRUAL_CONCURRENCY_DEFAULT = 3;

/** Characters of an error message kept as a failed line's reason. */
export const FAILURE_REASON_LENGTH_MAX = 500;
/** Failed lines an AccrualCounts lists by id (all are counted and recorded in accrual_failure). */
export const FAILURES_LISTED_MAX = 100;

/** The caller's clock: accrual runs only for days before today (UTC) and stamps failures with `now`. */
export interface AccrualClock {
  now: Date;
}

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
  /** principal × rate × the day's fraction of a year (domain/day-count.ts), at interest scale. */
  exactInterest: Decimal;
  carriedIn: Decimal;
  /** What the day's entry posted (0.00 when nothing was). */
  postedInterest: Money;
  carriedOut: Decimal;
  ledgerEntryId: string | null;
  /** Σ interest differences of the earlier days this day's accrual restated (0 when none). */
  restatedInterest: Decimal;
  /** What the restatement entry posted (0.00 when nothing was), negative for over-charged days. */
  restatementPosted: Money;
  restatementEntryId: string | null;
  /** The terms version the day accrued under (null: a line without versions, on the terms it holds). */
  termsVersionNo: number | null;
  /** Floating rate: the fixing the day used; null on a fixed rate. */
  fixing: Fixing | null;
  /** STALE_FIXING: the fixing was older than its reference rate's maxFixingAgeDays on the day (domain/interest-rate.ts). */
  rateFlag: RateFlag | null;
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
  /** Interest posted by this call (the date and any days caught up, restatements included), per currency, at currency scale. */
  postedByCurrency: Record<string, string>;
  /** Lines that could not accrue: recorded in accrual_failure (the lender told), retried by every later run. */
  linesFailed: number;
  /** The first FAILURES_LISTED_MAX of them, with why. */
  failures: LineFailure[];
}

export interface LineFailure {
  lineId: string;
  reason: string;
}

// ─── One line, one day ───────────────────────────────────────────────────────

/**
 * Accrues `lineId`'s interest for `date` ('YYYY-MM-DD', before today), once: a
 * day already accrued is returned as it is. Refuses a date before the line
 * opened or before its latest accrued day (BusinessRuleError
 * 'accrual_runs_forward'). When the line cannot accrue, the failure is
 * recorded on the line (accrual_failure, the lender told the first time) and
 * the error thrown; the next success clears it.
 */
export async function accrueLineDay(prisma: PrismaClient, lineIdAsGiven: string, date: string, clock: AccrualClock): Promise<LineDayAccrual> {
  requireUuid(lineIdAsGiven, 'lineId');
  // Canonical, so that the per-line lock is the same however the id was spelt (accrueLines locks lower-case ids).
  const lineId = lineIdAsGiven.toLowerCase();
  requireIsoDate(date, 'date');
  requireAccrualDate('date', date, utcDay(clock.now));
  let result: LineDayAccrual;
  try {
    result = await accrueLineDayUnrecorded(prisma, lineId, date);
  } catch (error) {
    if (isLineFailure(error)) await recordFailure(prisma, lineId, date, error, clock.now);
    throw error;
  }
  await clearFailures(prisma, [lineId], date);
  return result;
}

async function accrueLineDayUnrecorded(prisma: PrismaClient, lineId: string, date: string): Promise<LineDayAccrual> {
  const existing = await findAccrual(prisma, lineId, date);
  if (existing) return { accrual: existing, alreadyAccrued: true, daysCaughtUp: 0, caughtUpPosted: Money.zero(existing.currency) };
  let caughtUpPosted: Money | null = null;
  for (let daysCaughtUp = 0; ; daysCaughtUp++) {
    const step = await accrueNextDayUpTo(prisma, lineId, date);
    if (step.accrual.accrualDate === date) {
      return { ...step, daysCaughtUp, caughtUpPosted: caughtUpPosted ?? Money.zero(step.accrual.currency) };
    }
    caughtUpPosted = (caughtUpPosted ?? Money.zero(step.accrual.currency)).plus(postedBy(step.accrual));
    if (daysCaughtUp >= CATCH_UP_DAYS_MAX) {
      throw new InvariantViolation(`accrual of line ${lineId} reaches ${date} within ${CATCH_UP_DAYS_MAX} catch-up days`);
    }
  }
}

/** Everything a day's accrual posted: its interest and any restatement of earlier days. */
export function postedBy(accrual: InterestAccrualRecord): Money {
  return accrual.postedInterest.plus(accrual.restatementPosted);
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

export const ACCRUALS_PAGE_MAX = 366;

/**
 * One page of a line's accrued days in date order, after `afterDate` when paging, within `from`–`to`
 * (inclusive) when given; one row more than the page is read to tell whether a next page exists.
 */
export async function accrualsPage(
  db: Db,
  lineId: string,
  page: { from?: string; to?: string; afterDate: string | null; limit: number },
): Promise<InterestAccrualRecord[]> {
  requireUuid(lineId, 'lineId');
  const bound = (column: Prisma.Sql, op: Prisma.Sql, date: string | null | undefined, field: string) =>
    date ? Prisma.sql`AND ${column} ${op} ${requireIsoDate(date, field)}::date` : Prisma.empty;
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    SELECT ${ACCRUAL_COLUMNS} FROM interest_accrual
     WHERE credit_line_id = ${lineId}::uuid
       ${bound(Prisma.sql`accrual_date`, Prisma.sql`>=`, page.from, 'from')}
       ${bound(Prisma.sql`accrual_date`, Prisma.sql`<=`, page.to, 'to')}
       ${bound(Prisma.sql`accrual_date`, Prisma.sql`>`, page.afterDate, 'cursor')}
     ORDER BY accrual_date
     LIMIT ${Math.min(page.limit, ACCRUALS_PAGE_MAX) + 1}`);
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
      const lineOnDay = { ...line, ...(await termsOfDay(tx, lineId, nextDate)) };
      if (daysBetween(nextDate, date) > CATCH_UP_DAYS_MAX) {
        throw new BusinessRuleError(
          'accrual_too_far_behind',
          `credit line ${lineId} is accrued up to ${latest?.accrualDate ?? `its opening (${line.openedOn})`}; ` +
            `accruing ${date} would catch up more than ${CATCH_UP_DAYS_MAX} days — back-fill from ${nextDate} with npm run accrue`,
        );
      }
      const accrual = await accrueOneDay(tx, lineOnDay, nextDate, carriedInFrom(latest?.carriedOut ?? null));
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

/** The line as it accrues one day: the rate and day count are that day's (termsOfDay). */
export interface LineForAccrual extends TermsOfDay {
  id: string;
  currency: string;
  openedOn: string;
  principalAccountId: string;
  interestReceivableAccountId: string;
  interestIncomeAccountId: string;
  sellerPayableAccountId: string;
}

/**
 * What the latest accrued day carried out, at interest scale: rows written
 * before the precision policy carry up to 60 significant digits, which are
 * quantized here, once, when carried into the next day.
 */
function carriedInFrom(carriedOut: Decimal | null): Decimal {
  return carriedOut === null ? new D(0) : quantizeInterest(carriedOut);
}

/** The rate, day count and their source on one day: the agreed terms version in force on it (and, floating, its fixing). */
export interface TermsOfDay {
  annualInterestRate: Decimal;
  dayCount: DayCount;
  termsVersionNo: number | null;
  fixing: Fixing | null;
  rateFlag: RateFlag | null;
  /** The maturity and delinquency terms of the day: they decide whether the day attracts default interest. */
  maturityDate: string;
  delinquency: DelinquencyTerms;
}

/**
 * SQL joins (aliases tv, fx) of the line aliased `line` on the day `date`: the AGREED terms version with the
 * latest effective date on or before it (none for a line written before versions: its own columns then),
 * and, for a floating rate, its reference rate's fixing in force that day. Index lookups per line, so a batch
 * stays a handful of statements.
 */
function termsOfDayJoins(line: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    LEFT JOIN LATERAL (SELECT v.version_no, v.annual_interest_rate, v.day_count, v.reference_rate_id, v.rate_spread, v.rate_floor,
                              v.terms->>'maturityDate' AS maturity_date, v.terms->'delinquency' AS delinquency
                         FROM credit_terms_version v
                        WHERE v.credit_line_id = ${line}.id AND v.status = 'AGREED' AND v.effective_from <= ${date}
                        ORDER BY v.effective_from DESC, v.version_no DESC LIMIT 1) AS tv ON true
    LEFT JOIN LATERAL (SELECT f.effective_date, f.rate, rr.max_fixing_age_days
                         FROM rate_fixing f JOIN reference_rate rr ON rr.id = f.reference_rate_id
                        WHERE f.reference_rate_id = (CASE WHEN tv.version_no IS NULL THEN ${line}.reference_rate_id ELSE tv.reference_rate_id END)
                          AND f.effective_date <= ${date}
                        ORDER BY f.effective_date DESC LIMIT 1) AS fx ON true`;
}

function termsOfDayColumns(line: Prisma.Sql): Prisma.Sql {
  const pick = (column: string) => Prisma.sql`(CASE WHEN tv.version_no IS NULL THEN ${line}.${Prisma.raw(column)} ELSE tv.${Prisma.raw(column)} END)`;
  return Prisma.sql`tv.version_no AS terms_version_no, ${pick('annual_interest_rate')}::text AS fixed_rate, ${pick('day_count')}::text AS day_count,
    ${pick('reference_rate_id')}::text AS reference_rate_id, ${pick('rate_spread')}::text AS rate_spread, ${pick('rate_floor')}::text AS rate_floor,
    fx.effective_date::text AS fixing_date, fx.rate::text AS fixing_rate, fx.max_fixing_age_days,
    (CASE WHEN tv.version_no IS NULL THEN ${line}.maturity_date::text ELSE tv.maturity_date END) AS maturity_date,
    (CASE WHEN tv.version_no IS NULL
          THEN jsonb_build_object('gracePeriodDays', ${line}.grace_period_days, 'defaultInterestSpread', ${line}.default_interest_spread::text,
                                  'defaultAfterDaysPastDue', ${line}.default_after_days_past_due)
          ELSE tv.delinquency END) AS delinquency`;
}

interface TermsOfDayRow {
  terms_version_no: number | null;
  fixed_rate: string;
  day_count: DayCount;
  reference_rate_id: string | null;
  rate_spread: string | null;
  rate_floor: string | null;
  fixing_date: string | null;
  fixing_rate: string | null;
  max_fixing_age_days: number | null;
  maturity_date: string;
  /** Null for a version written before delinquency terms existed. */
  delinquency: DelinquencyTermsJson | null;
}

/** The day's rate from its terms and fixing (domain/interest-rate.ts). */
function termsOfDayFrom(row: TermsOfDayRow, date: string): TermsOfDay {
  const floating = row.reference_rate_id === null || row.rate_spread === null
    ? null
    : { referenceRateId: row.reference_rate_id, spread: new D(row.rate_spread), floor: row.rate_floor === null ? null : new D(row.rate_floor) };
  const rate = rateOfDay({
    date,
    fixedRate: new D(row.fixed_rate),
    floating,
    fixingInForce: row.fixing_date === null || row.fixing_rate === null ? null : { effectiveDate: row.fixing_date, rate: new D(row.fixing_rate) },
    maxFixingAgeDays: row.max_fixing_age_days,
  });
  return {
    annualInterestRate: rate.annualRate,
    dayCount: row.day_count,
    termsVersionNo: row.terms_version_no,
    fixing: rate.fixing,
    rateFlag: rate.flag,
    maturityDate: row.maturity_date,
    delinquency: delinquencyTermsFromJson(row.delinquency),
  };
}

export async function termsOfDay(db: Db, lineId: string, date: string): Promise<TermsOfDay> {
  const line = Prisma.raw('l');
  const [row] = await db.$queryRaw<TermsOfDayRow[]>(Prisma.sql`
    SELECT ${termsOfDayColumns(line)} FROM credit_line l ${termsOfDayJoins(line, Prisma.sql`${date}::date`)} WHERE l.id = ${lineId}::uuid`);
  if (!row) throw new NotFoundError('credit line', lineId);
  return termsOfDayFrom(row, date);
}

/** The line's accounts and opening; its terms are the ones of the day it opened until termsOfDay gives the day's. */
async function lineForAccrual(db: Db, lineId: string): Promise<LineForAccrual> {
  const rows = await db.$queryRaw<
    {
      currency: string;
      rate: string;
      day_count: DayCount;
      opened_on: string;
      maturity_date: string;
      principal: string | null;
      receivable: string | null;
      income: string | null;
      seller_payable: string | null;
    }[]
  >(Prisma.sql`
    SELECT l.currency, l.annual_interest_rate::text AS rate, l.day_count::text AS day_count,
           to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on, l.maturity_date::text AS maturity_date,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'LOAN_PRINCIPAL') AS principal,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'INTEREST_RECEIVABLE') AS receivable,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'INTEREST_INCOME') AS income,
           (SELECT id::text FROM ledger_account WHERE account_set_id = l.id AND code = 'SELLER_PAYABLE') AS seller_payable
      FROM credit_line l WHERE l.id = ${lineId}::uuid`);
  const row = rows[0];
  if (!row) throw new NotFoundError('credit line', lineId);
  if (!row.principal || !row.receivable || !row.income || !row.seller_payable) {
    throw new InvariantViolation(`credit line ${lineId} has LOAN_PRINCIPAL, INTEREST_RECEIVABLE, INTEREST_INCOME and SELLER_PAYABLE accounts`);
  }
  return {
    id: lineId,
    currency: row.currency.trim(),
    annualInterestRate: new D(row.rate),
    dayCount: row.day_count,
    termsVersionNo: null,
    fixing: null,
    rateFlag: null,
    maturityDate: row.maturity_date,
    delinquency: NO_DELINQUENCY_TERMS,
    openedOn: row.opened_on,
    principalAccountId: row.principal,
    interestReceivableAccountId: row.receivable,
    interestIncomeAccountId: row.income,
    sellerPayableAccountId: row.seller_payable,
  };
}

async function latestAccrual(db: Db, lineId: string): Promise<InterestAccrualRecord | null> {
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    SELECT ${ACCRUAL_COLUMNS} FROM interest_accrual
     WHERE credit_line_id = ${lineId}::uuid ORDER BY accrual_date DESC LIMIT 1`);
  return rows.length === 0 ? null : accrualFromRow(rows[0]);
}

/**
 * Accrues `date`, the line's next day. First, earlier days whose principal
 * changed after they were accrued (a posting dated into them) are restated:
 * the difference is posted as its own entry, linked to those days by
 * interest_restatement rows, and its remainder carried into the day.
 */
async function accrueOneDay(db: Db, line: LineForAccrual, date: string, carriedIn: Decimal): Promise<InterestAccrualRecord> {
  const [principal] = await balances(db, { accountIds: [line.principalAccountId], asOf: date });
  const restatement = await restatementDue(db, line, date, carriedIn);
  const day = accrualOfDay(line, date, principal.balance, restatement?.carriedRemainder ?? carriedIn);
  let restatementEntryId: string | null = null;
  if (restatement && !restatement.posted.isZero()) {
    const entry = await postEntry(db, await restatementEntry(db, line, date, restatement));
    restatementEntryId = entry.id;
  }
  let ledgerEntryId: string | null = null;
  if (day.posted.isPositive()) {
    const entry = await postEntry(db, accrualEntry(line, date, principal.balance, day));
    ledgerEntryId = entry.id;
  }
  const rows = await db.$queryRaw<AccrualRow[]>(Prisma.sql`
    INSERT INTO interest_accrual (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
                                  outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id,
                                  restated_interest, restatement_posted, restatement_entry_id, terms_version_no, fixing_date, fixing_rate, rate_flag)
    VALUES (${line.id}::uuid, ${date}::date, ${line.currency}, ${line.annualInterestRate.toFixed()}::numeric,
            ${line.dayCount}::"DayCountConvention", ${principal.balance.toFixedString()}::numeric,
            ${day.exactInterest.toFixed()}::numeric, ${carriedIn.toFixed()}::numeric, ${day.posted.toFixedString()}::numeric,
            ${day.carriedRemainder.toFixed()}::numeric, ${ledgerEntryId}::uuid,
            ${(restatement?.restatedInterest ?? new D(0)).toFixed()}::numeric,
            ${(restatement?.posted ?? Money.zero(line.currency)).toFixedString()}::numeric, ${restatementEntryId}::uuid,
            ${line.termsVersionNo}::int, ${line.fixing?.effectiveDate ?? null}::date, ${line.fixing?.rate.toFixed() ?? null}::numeric, ${line.rateFlag})
    RETURNING ${ACCRUAL_COLUMNS}`);
  await accrueDefaultInterest(db, line, date, principal.balance);
  if (restatement) await recordRestatedDays(db, 'interest_restatement', line.id, date, restatement);
  return accrualFromRow(rows[0]);
}

interface DueRestatement extends Restatement {
  days: (Restatement['days'][number] & { principalCharged: Money; principalActual: Money })[];
}

/**
 * The restatement of the line's accrued days (all before `nextDate`) whose
 * principal changed after they were accrued, or null when none did. Cheap
 * first: the principal-days the line was charged on (its accruals plus their
 * restatements) against the principal-days the ledger now has over the same
 * days; only when those differ, day by day.
 */
async function restatementDue(db: Db, line: LineForAccrual, nextDate: string, carriedIn: Decimal): Promise<DueRestatement | null> {
  const [totals] = await db.$queryRaw<{ differs: boolean }[]>(Prisma.sql`
    SELECT ${principalDaysDiffer(Prisma.sql`${line.id}::uuid`, Prisma.sql`${line.principalAccountId}::uuid`, Prisma.sql`${nextDate}::date`, Prisma.sql`${line.openedOn}::date`)} AS differs`);
  if (!totals?.differs) return null;
  const rows = await db.$queryRaw<{ accrual_date: string; rate: string; day_count: DayCount; charged: string; actual: string }[]>(Prisma.sql`
    SELECT * FROM (
      SELECT a.accrual_date::text, a.annual_interest_rate::text AS rate, a.day_count::text AS day_count,
             coalesce(restated.principal_after, a.outstanding_principal)::text AS charged,
             (SELECT coalesce(sum(ledger_signed_amount(p.normal_balance, jl.side, jl.amount)), 0)
                FROM ledger_account p JOIN journal_line jl ON jl.account_id = p.id JOIN journal_entry e ON e.id = jl.entry_id
               WHERE p.id = ${line.principalAccountId}::uuid AND e.effective_date <= a.accrual_date)::text AS actual
        FROM interest_accrual a
        LEFT JOIN LATERAL (SELECT r.principal_after FROM interest_restatement r
                            WHERE r.credit_line_id = a.credit_line_id AND r.restated_date = a.accrual_date
                            ORDER BY r.restated_by DESC LIMIT 1) AS restated ON true
       WHERE a.credit_line_id = ${line.id}::uuid AND a.accrual_date < ${nextDate}::date) AS day
     WHERE day.charged::numeric <> day.actual::numeric
     ORDER BY day.accrual_date`);
  if (rows.length === 0) return null;
  const inputs = rows.map((row) => ({
    date: row.accrual_date,
    principalCharged: Money.of(row.charged, line.currency),
    principalActual: Money.of(row.actual, line.currency),
    annualRate: new D(row.rate),
    dayCount: row.day_count,
  }));
  const restatement = restateDays({ days: inputs, carriedRemainder: carriedIn, currency: line.currency });
  return { ...restatement, days: restatement.days.map((day, index) => ({ ...day, principalCharged: inputs[index].principalCharged, principalActual: inputs[index].principalActual })) };
}

/**
 * SQL: whether the principal-days a line was charged interest on, over its
 * accrued days (opening to the day before `nextDate`, contiguous), differ from
 * what its LOAN_PRINCIPAL postings now add up to over the same days.
 */
function principalDaysDiffer(lineId: Prisma.Sql, principalAccountId: Prisma.Sql, nextDate: Prisma.Sql, openedOn: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(
    (SELECT coalesce(sum(a.outstanding_principal), 0) FROM interest_accrual a WHERE a.credit_line_id = ${lineId} AND a.accrual_date < ${nextDate})
    + (SELECT coalesce(sum(r.principal_after - r.principal_before), 0) FROM interest_restatement r WHERE r.credit_line_id = ${lineId} AND r.restated_by < ${nextDate})
    <> (SELECT coalesce(sum(ledger_signed_amount(p.normal_balance, jl.side, jl.amount) * (${nextDate} - greatest(e.effective_date, ${openedOn}))), 0)
          FROM ledger_account p JOIN journal_line jl ON jl.account_id = p.id JOIN journal_entry e ON e.id = jl.entry_id
         WHERE p.id = ${principalAccountId} AND e.effective_date < ${nextDate}))`;
}

/**
 * The restatement's entry, keyed by line and the day that posts it. Under-charged days: Dr INTEREST_RECEIVABLE /
 * Cr INTEREST_INCOME. Over-charged days: Dr INTEREST_INCOME, Cr INTEREST_RECEIVABLE as far as it holds, and what
 * the seller already paid for interest that was never due is owed back to it: Cr SELLER_PAYABLE.
 */
async function restatementEntry(db: Db, line: LineForAccrual, date: string, restatement: DueRestatement): Promise<PostEntryInput> {
  const amount = Money.of(restatement.posted.amount.abs(), line.currency);
  let lines: ProposedLine[];
  if (restatement.posted.isPositive()) {
    lines = [
      { accountId: line.interestReceivableAccountId, side: 'DEBIT', amount },
      { accountId: line.interestIncomeAccountId, side: 'CREDIT', amount },
    ];
  } else {
    const [receivable] = await balances(db, { accountIds: [line.interestReceivableAccountId] });
    const fromReceivable = Money.min(amount, Money.max(receivable.balance, Money.zero(line.currency)));
    const toSeller = amount.minus(fromReceivable);
    lines = [
      { accountId: line.interestIncomeAccountId, side: 'DEBIT', amount },
      ...(fromReceivable.isPositive() ? [{ accountId: line.interestReceivableAccountId, side: 'CREDIT' as const, amount: fromReceivable }] : []),
      ...(toSeller.isPositive() ? [{ accountId: line.sellerPayableAccountId, side: 'CREDIT' as const, amount: toSeller }] : []),
    ];
  }
  const restatedDays = restatement.days.map((day) => day.date);
  return {
    idempotencyKey: `accrual-restatement:${line.id}:${date}`,
    description:
      `Interest restated for ${dayRanges(restatedDays)}: principal changed after ${restatedDays.length === 1 ? 'that day was' : 'those days were'} accrued ` +
      `(${restatement.days.map((day) => `${day.date} ${day.principalCharged.format()} → ${day.principalActual.format()}`).slice(0, 5).join('; ')}` +
      `${restatedDays.length > 5 ? '; …' : ''}), ${restatement.posted.isNegative() ? '−' : '+'}${amount.format()}`,
    effectiveDate: date,
    accountSetId: line.id,
    metadata: { kind: 'interest_restatement', creditLineId: line.id, accrualDate: date, restatedDays },
    lines,
  };
}

/** '2026-11-03 to 2026-11-05, 2026-11-09' from consecutive and lone days in order. */
export function dayRanges(days: readonly string[]): string {
  const ranges: [string, string][] = [];
  for (const day of days) {
    const last = ranges[ranges.length - 1];
    if (last && addDays(last[1], 1) === day) last[1] = day;
    else ranges.push([day, day]);
  }
  return ranges.map(([from, to]) => (from === to ? from : `${from} to ${to}`)).join(', ');
}

/** The day's figures: accrueDay() on the line's terms. */
function accrualOfDay(line: LineForAccrual, date: string, outstandingPrincipal: Money, carriedIn: Decimal): DayAccrual {
  return accrueDay({ date, outstandingPrincipal, annualRate: line.annualInterestRate, dayCount: line.dayCount, carriedRemainder: carriedIn });
}

/** The day's entry, Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME, keyed by line and day — the same whichever path posts it. */
function accrualEntry(line: LineForAccrual, date: string, outstandingPrincipal: Money, day: DayAccrual): PostEntryInput {
  return {
    idempotencyKey: `accrual:${line.id}:${date}`,
    description:
      `Interest for ${date}: ${outstandingPrincipal.format()} × ${line.annualInterestRate.toFixed()} × ${describeFraction(dayFraction(line.dayCount, date))} (${line.dayCount})` +
      (line.fixing ? ` — floating: fixing of ${line.fixing.effectiveDate} ${line.fixing.rate.toFixed()}${line.rateFlag ? `, ${line.rateFlag}` : ''}` : ''),
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
export async function accrueLines(prisma: PrismaClient, date: string, lineIds: readonly string[], clock: AccrualClock): Promise<AccrualCounts> {
  requireIsoDate(date, 'date');
  requireAccrualDate('date', date, utcDay(clock.now));
  requireBatchSize(lineIds.length);
  lineIds.forEach((lineId, index) => requireUuid(lineId, `lineIds[${index}]`));
  const counts = emptyCounts(date);
  const posted = new Map<string, Money>();
  let pending = [...new Set(lineIds.map((lineId) => lineId.toLowerCase()))];
  // The daily run is also when amendments agreed ahead of their date come into force on the lines (valuation, draws, fees, margin);
  // accrual itself reads each day's version whatever the line holds.
  if (pending.length > 0) await inTransaction(prisma, (tx) => applyDueTermsVersions(tx, clock.now, pending));
  // A line listed twice is accrued once; the second mention finds it accrued, as a second call would.
  counts.linesAlreadyAccrued += lineIds.length - pending.length;
  const byLineDay: string[] = [];
  /** Lines that have `date` accrued: any failure recorded for them (on or before `date`) is over. */
  const reached: string[] = [];
  for (let round = 0; pending.length > 0; round++) {
    if (round > CATCH_UP_DAYS_MAX + 1) {
      throw new InvariantViolation(`a batch reaches ${date} within ${CATCH_UP_DAYS_MAX + 1} rounds; ${pending.length} line(s) still behind`);
    }
    let outcomes: NextDayOutcome[];
    try {
      outcomes = await accrueNextDays(prisma, date, pending);
    } catch (error) {
      if (!isLineFailure(error) && !isRefusedRequest(error)) throw error;
      // One line's figures or postings spoilt the batch's transaction (nothing of it was written):
      // the lines still pending go one by one, so that the one that cannot accrue stops no other.
      byLineDay.push(...pending);
      break;
    }
    const stillBehind: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.kind === 'for_accrue_line_day') {
        byLineDay.push(outcome.lineId);
      } else if (outcome.kind === 'already_accrued') {
        counts.linesAlreadyAccrued += 1;
        reached.push(outcome.lineId);
      } else if (outcome.kind === 'raced') {
        stillBehind.push(outcome.lineId);
      } else {
        addPosted(posted, outcome.posted);
        if (outcome.accrualDate === date) {
          counts.linesAccrued += 1;
          reached.push(outcome.lineId);
        } else {
          counts.daysCaughtUp += 1;
          stillBehind.push(outcome.lineId);
        }
      }
    }
    pending = stillBehind;
  }
  for (const lineId of byLineDay) {
    let result: LineDayAccrual;
    try {
      result = await accrueLineDayUnrecorded(prisma, lineId, date);
    } catch (error) {
      if (!isLineFailure(error) && !isRefusedRequest(error)) throw error;
      if (isLineFailure(error)) await recordFailure(prisma, lineId, date, error, clock.now);
      counts.linesFailed += 1;
      if (counts.failures.length < FAILURES_LISTED_MAX) counts.failures.push({ lineId, reason: failureReason(error) });
      continue;
    }
    reached.push(lineId);
    counts.daysCaughtUp += result.daysCaughtUp;
    addPosted(posted, result.caughtUpPosted);
    if (result.alreadyAccrued) {
      counts.linesAlreadyAccrued += 1;
    } else {
      counts.linesAccrued += 1;
      addPosted(posted, postedBy(result.accrual));
    }
  }
  await clearFailures(prisma, reached, date);
  // The interest of the days now accrued is billed where a billing day came (prisma/credit-lines/interest-billing.ts); then what
  // today's figures mean for the lines' bills, maturity and delinquency (events, IN_DEFAULT), told once each.
  const reviewed = [...new Set(lineIds.map((lineId) => lineId.toLowerCase()))];
  await inTransaction(prisma, async (tx) => {
    await billInterest(tx, reviewed);
    await reviewDelinquency(tx, reviewed, clock.now);
  });
  await revalueLinesWithOpenCalls(prisma, reached, clock.now);
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
  options: { batchSize?: number; concurrency?: number; now: Date },
): Promise<AccrualCounts> {
  requireIsoDate(date, 'date');
  requireAccrualDate('date', date, utcDay(options.now));
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
      const counts = await accrueLines(prisma, date, lineIds, { now: options.now });
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
  /** Principal of days already accrued changed since (see restatementDue): accrueLineDay restates them. */
  needsRestatement: boolean;
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
  if (state.needsRestatement) return null;
  const nextDate = latest ? addDays(latest.accrualDate, 1) : line.openedOn;
  if (daysBetween(nextDate, date) > CATCH_UP_DAYS_MAX) return null;
  // Default interest (prisma/accrual/default-interest.ts) is charged one line at a time, by accrueLineDay.
  if (mayOweDefaultInterest(line, nextDate, state.principalAtNextDay)) return null;
  const carriedIn = carriedInFrom(latest?.carriedOut ?? null);
  const accrual = accrualOfDay(line, nextDate, state.principalAtNextDay, carriedIn);
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
    (TermsOfDayRow & {
      id: string;
      currency: string;
      opened_on: string;
      next_date: string;
      principal_account: string | null;
      receivable_account: string | null;
      income_account: string | null;
      seller_payable_account: string | null;
      needs_restatement: boolean;
      latest_date: string | null;
      latest_carried_out: string | null;
      date_accrued: boolean;
      principal: string | null;
    })[]
  >(Prisma.sql`
    SELECT l.id::text, l.currency, ${termsOfDayColumns(Prisma.raw('l'))},
           coalesce(latest.accrual_date + 1, (l.created_at AT TIME ZONE 'UTC')::date)::text AS next_date,
           to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on,
           p.id::text AS principal_account, r.id::text AS receivable_account, i.id::text AS income_account,
           sp.id::text AS seller_payable_account,
           (latest.accrual_date IS NOT NULL AND p.id IS NOT NULL
            AND ${principalDaysDiffer(Prisma.sql`l.id`, Prisma.sql`p.id`, Prisma.sql`(latest.accrual_date + 1)`, Prisma.sql`(l.created_at AT TIME ZONE 'UTC')::date`)}) AS needs_restatement,
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
      LEFT JOIN ledger_account sp ON sp.account_set_id = l.id AND sp.code = 'SELLER_PAYABLE'
      LEFT JOIN LATERAL (SELECT a.accrual_date, a.carried_out FROM interest_accrual a
                          WHERE a.credit_line_id = l.id ORDER BY a.accrual_date DESC LIMIT 1) AS latest ON true
      ${termsOfDayJoins(Prisma.raw('l'), Prisma.sql`coalesce(latest.accrual_date + 1, (l.created_at AT TIME ZONE 'UTC')::date)`)}
     WHERE l.id = ANY(${lineIds}::uuid[])`);
  const states = new Map<string, LineState>();
  for (const row of rows) {
    // Without its accounts the line is left to accrueLineDay, which reports it.
    if (!row.principal_account || !row.receivable_account || !row.income_account || !row.seller_payable_account || row.principal === null) continue;
    const currency = row.currency.trim();
    const principal = Money.of(row.principal, currency);
    if (!principal.isAtScale()) throw new InvariantViolation(`LOAN_PRINCIPAL of line ${row.id} is at ${currency} scale; got ${row.principal}`);
    let terms: TermsOfDay;
    try {
      terms = termsOfDayFrom(row, row.next_date);
    } catch (error) {
      // A day that cannot be priced (no fixing) is left to accrueLineDay, which records why.
      if (error instanceof DomainError) continue;
      throw error;
    }
    states.set(row.id, {
      line: {
        id: row.id,
        currency,
        ...terms,
        openedOn: row.opened_on,
        principalAccountId: row.principal_account,
        interestReceivableAccountId: row.receivable_account,
        interestIncomeAccountId: row.income_account,
        sellerPayableAccountId: row.seller_payable_account,
      },
      latest: row.latest_date === null ? null : { accrualDate: row.latest_date, carriedOut: new D(row.latest_carried_out ?? '') },
      dateAccrued: row.date_accrued,
      principalAtNextDay: principal,
      needsRestatement: row.needs_restatement,
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
    terms_version_no: day.line.termsVersionNo,
    fixing_date: day.line.fixing?.effectiveDate ?? null,
    fixing_rate: day.line.fixing?.rate.toFixed() ?? null,
    rate_flag: day.line.rateFlag,
  }));
  const inserted = await db.$queryRaw<{ id: string }[]>(Prisma.sql`
    INSERT INTO interest_accrual (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
                                  outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id,
                                  terms_version_no, fixing_date, fixing_rate, rate_flag)
    SELECT d.credit_line_id, d.accrual_date, d.currency, d.annual_interest_rate, d.day_count,
           d.outstanding_principal, d.exact_interest, d.carried_in, d.posted_interest, d.carried_out, d.ledger_entry_id,
           d.terms_version_no, d.fixing_date, d.fixing_rate, d.rate_flag
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS d(
             credit_line_id UUID, accrual_date DATE, currency TEXT, annual_interest_rate NUMERIC, day_count "DayCountConvention",
             outstanding_principal NUMERIC, exact_interest NUMERIC, carried_in NUMERIC, posted_interest NUMERIC, carried_out NUMERIC,
             ledger_entry_id UUID, terms_version_no INT, fixing_date DATE, fixing_rate NUMERIC, rate_flag TEXT)
    ON CONFLICT (credit_line_id, accrual_date) DO NOTHING
    RETURNING credit_line_id::text AS id`);
  return new Set(inserted.map((row) => row.id));
}

export function emptyCounts(date: string): AccrualCounts {
  return { accrualDate: date, linesAccrued: 0, linesAlreadyAccrued: 0, daysCaughtUp: 0, postedByCurrency: {}, linesFailed: 0, failures: [] };
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
    linesFailed: a.linesFailed + b.linesFailed,
    failures: [...a.failures, ...b.failures].slice(0, FAILURES_LISTED_MAX),
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

// ─── Failures ────────────────────────────────────────────────────────────────

/** What the line's accrual looks like from outside: how far it got, and whether it is stuck and why. */
export interface LineAccrualStatus {
  /** 'YYYY-MM-DD' of the latest accrued day; null before the first. */
  lastAccruedDate: string | null;
  failure: {
    /** 'YYYY-MM-DD' the failing run tried to reach. */
    accrualDate: string;
    reason: string;
    since: Date;
    lastAttemptAt: Date;
    attempts: number;
  } | null;
}

export async function lineAccrualStatus(db: Db, lineId: string): Promise<LineAccrualStatus> {
  requireUuid(lineId, 'lineId');
  const [row] = await db.$queryRaw<
    { last_accrued: string | null; accrual_date: string | null; reason: string | null; first_failed_at: Date | null; last_failed_at: Date | null; attempts: number | null }[]
  >(Prisma.sql`
    SELECT (SELECT max(a.accrual_date)::text FROM interest_accrual a WHERE a.credit_line_id = ${lineId}::uuid) AS last_accrued,
           f.accrual_date::text AS accrual_date, f.reason, f.first_failed_at, f.last_failed_at, f.attempts
      FROM (SELECT 1) AS one
      LEFT JOIN accrual_failure f ON f.credit_line_id = ${lineId}::uuid`);
  return {
    lastAccruedDate: row?.last_accrued ?? null,
    failure:
      row?.accrual_date && row.reason !== null && row.first_failed_at && row.last_failed_at && row.attempts !== null
        ? { accrualDate: row.accrual_date, reason: row.reason, since: row.first_failed_at, lastAttemptAt: row.last_failed_at, attempts: row.attempts }
        : null,
  };
}

/**
 * Records that `lineId` could not accrue `date` (or a day before it): the
 * reason and attempt are updated on every retry, `since` stays the first
 * failure's, and the lender is told once per failure (until the line accrues again).
 */
async function recordFailure(prisma: PrismaClient, lineId: string, date: string, error: unknown, now: Date): Promise<void> {
  const reason = failureReason(error);
  await inTransaction(prisma, async (tx) => {
    const rows = await tx.$queryRaw<{ first_failed_at: Date; lender: string }[]>(Prisma.sql`
      INSERT INTO accrual_failure (credit_line_id, accrual_date, reason, first_failed_at, last_failed_at, attempts)
      SELECT l.id, ${date}::date, ${reason}, ${now}, ${now}, 1 FROM credit_line l WHERE l.id = ${lineId}::uuid
      ON CONFLICT (credit_line_id) DO UPDATE
        SET accrual_date = EXCLUDED.accrual_date, reason = EXCLUDED.reason,
            last_failed_at = greatest(accrual_failure.last_failed_at, EXCLUDED.last_failed_at),
            attempts = accrual_failure.attempts + 1
      RETURNING first_failed_at,
                (SELECT l.lender_organisation_id::text FROM credit_line l WHERE l.id = accrual_failure.credit_line_id) AS lender`);
    const row = rows[0];
    if (!row) return; // no such line: nothing to record it on
    await notify(tx, {
      organisationId: row.lender,
      kind: 'accrual_failed',
      message: `Interest on credit line ${lineId} could not be accrued for ${date}: ${reason}. Every accrual run retries it; the line shows the failure until it accrues.`,
      subjectType: 'credit_line',
      subjectId: lineId,
      dedupeKey: `accrual-failed:${lineId}:${row.first_failed_at.toISOString()}`,
    });
  });
}

/** The lines have accrued `date`: a failure recorded for them on or before it is over. */
async function clearFailures(db: Db, lineIds: readonly string[], date: string): Promise<void> {
  if (lineIds.length === 0) return;
  await db.$executeRaw(Prisma.sql`
    DELETE FROM accrual_failure WHERE credit_line_id = ANY(${lineIds}::uuid[]) AND accrual_date <= ${date}::date`);
}

function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const oneLine = message.replace(/\s+/g, ' ').trim() || (error instanceof Error ? error.name : 'unknown error');
  return oneLine.length > FAILURE_REASON_LENGTH_MAX ? `${oneLine.slice(0, FAILURE_REASON_LENGTH_MAX - 1)}…` : oneLine;
}

/** A refusal of what was asked (no such line, a malformed or past date), not a state of the line. */
function isRefusedRequest(error: unknown): boolean {
  return (
    error instanceof NotFoundError ||
    error instanceof ValidationError ||
    (error instanceof BusinessRuleError && error.code === 'accrual_runs_forward')
  );
}

/** SQLSTATE classes worth retrying as they are: transaction rollback (40: serialization, deadlock), connection (08), resources (53), operator intervention (57). */
const TRANSIENT_SQLSTATE_CLASSES = ['40', '08', '53', '57'];
/** Prisma's own codes for an unreachable or timed-out server or pool, and a write conflict or deadlock. */
const TRANSIENT_PRISMA_CODES = ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034'];
const TRANSIENT_NODE_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'];

/**
 * The line cannot accrue as things stand (its figures, its postings, its data):
 * everything but a refused request and a transient fault of the database or
 * the connection, which the caller retries as a whole.
 */
function isLineFailure(error: unknown): boolean {
  if (isRefusedRequest(error)) return false;
  if (error instanceof DomainError) return true;
  const sqlState = sqlStateOf(error);
  if (sqlState !== null) return !TRANSIENT_SQLSTATE_CLASSES.includes(sqlState.slice(0, 2));
  const code = (error as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && (TRANSIENT_PRISMA_CODES.includes(code) || TRANSIENT_NODE_CODES.includes(code)));
}

function sqlStateOf(error: unknown): string | null {
  const candidates: unknown[] = [];
  if (error && typeof error === 'object') {
    const withMeta = error as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } } };
    candidates.push(withMeta.meta?.driverAdapterError?.cause?.originalCode, withMeta.meta?.code, withMeta.code);
  }
  const found = candidates.find((candidate) => typeof candidate === 'string' && /^[0-9A-Z]{5}$/.test(candidate) && !candidate.startsWith('P'));
  return typeof found === 'string' ? found : null;
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
  ledger_entry_id::text, restated_interest::text, restatement_posted::text, restatement_entry_id::text,
  terms_version_no, fixing_date::text, fixing_rate::text, rate_flag, created_at`;

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
  restated_interest: string;
  restatement_posted: string;
  restatement_entry_id: string | null;
  terms_version_no: number | null;
  fixing_date: string | null;
  fixing_rate: string | null;
  rate_flag: RateFlag | null;
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
    restatedInterest: new D(row.restated_interest),
    restatementPosted: Money.of(row.restatement_posted, currency),
    restatementEntryId: row.restatement_entry_id,
    termsVersionNo: row.terms_version_no,
    fixing: row.fixing_date === null || row.fixing_rate === null ? null : { effectiveDate: row.fixing_date, rate: new D(row.fixing_rate) },
    rateFlag: row.rate_flag,
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

/**
 * Interest, default interest and restatements the run posted raise what an open margin call demands (fees and
 * interest come ahead of principal in the waterfall): each such line is revalued through the outbox (its margin
 * workflow re-reads the ledger), so that the repayment a call shows is what cures it — not the figure of its
 * last evaluation, before the night's postings. The daily margin check would get there too, but not before a
 * party could pay the stale figure.
 */
async function revalueLinesWithOpenCalls(prisma: PrismaClient, lineIds: readonly string[], now: Date): Promise<void> {
  if (lineIds.length === 0) return;
  await inTransaction(prisma, async (tx) => {
    const open = await tx.marginCall.findMany({ where: { creditLineId: { in: [...lineIds] }, status: 'OPEN' }, select: { creditLineId: true } });
    const commands = [...new Set(open.map((call) => call.creditLineId))].map((lineId) => ({
      kind: 'REVALUE_LINE' as const,
      workflowId: lineMarginWorkflowId(lineId),
      args: [{ lineId, reason: 'INTEREST_POSTED' }],
    }));
    if (commands.length > 0) await enqueueWorkflowCommands(tx, commands, { requestId: null, now });
  });
}
