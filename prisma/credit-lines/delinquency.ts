/**
 * Delinquency of lines as the ledger has it (rules in domain/delinquency.ts):
 * what fell due at maturity, what was charged since, what is owed now, and
 * from that the days past due, the bucket, whether it is overdue and whether
 * the line has reached its default threshold.
 *
 * One statement reads any number of lines: per line the balances of its
 * receivable accounts now and as of the day before its maturity date, the
 * charges (debits to those accounts) per day from the maturity date on, and
 * the default interest posted.
 */
import { lineDelinquency, DPD_BUCKETS, type DpdBucket, type DelinquencyTerms, type LineDelinquency } from '../../domain/delinquency';
import type { CreditLineStatus } from '../../domain/credit-line-status';
import { D, Money } from '../../domain/money';
import { Prisma, type Db } from '../client';
import { recordEvent } from '../events/store';
import { notify } from '../notifications/store';
import { lockLines } from '../locks';
import { billsOfLines, type InterestBillRecord } from './interest-billing';

export interface LineDelinquencyRecord extends LineDelinquency {
  creditLineId: string;
  lenderOrganisationId: string;
  sellerOrganisationId: string;
  status: CreditLineStatus;
  currency: string;
  /** 'YYYY-MM-DD' the figures are as of. */
  asOf: string;
  maturityDate: string;
  terms: DelinquencyTerms;
  owed: { principal: Money; interest: Money; fees: Money };
  /** Σ default interest the accrual posted (Cr DEFAULT_INTEREST_INCOME), its restatements included, as of now. */
  defaultInterestPosted: Money;
  /** The line's interest bills, oldest first, with what of each is paid (empty without billing). */
  bills: InterestBillRecord[];
}

type Row = {
  id: string;
  lender: string;
  seller: string;
  status: CreditLineStatus;
  currency: string;
  maturity_date: string;
  grace_period_days: number;
  default_interest_spread: string;
  default_after_days_past_due: number | null;
  principal_now: string;
  interest_now: string;
  fees_now: string;
  principal_at_maturity: string;
  interest_at_maturity: string;
  fees_at_maturity: string;
  charges: { date: string; principal: string; interest: string; fees: string }[] | null;
  default_interest_posted: string;
};

const RECEIVABLES = Prisma.sql`('LOAN_PRINCIPAL', 'INTEREST_RECEIVABLE', 'FEES_RECEIVABLE')`;

/** The delinquency of each line matching `where` (SQL on credit_line aliased l) as of `today`. */
async function delinquencyWhere(db: Db, where: Prisma.Sql, today: string): Promise<LineDelinquencyRecord[]> {
  const rows = await db.$queryRaw<Row[]>(Prisma.sql`
    SELECT l.id::text, l.lender_organisation_id::text AS lender, l.seller_organisation_id::text AS seller, l.status::text AS status,
           l.currency, l.maturity_date::text AS maturity_date,
           l.grace_period_days, l.default_interest_spread::text AS default_interest_spread, l.default_after_days_past_due,
           ${balanceOf('LOAN_PRINCIPAL', null)} AS principal_now,
           ${balanceOf('INTEREST_RECEIVABLE', null)} AS interest_now,
           ${balanceOf('FEES_RECEIVABLE', null)} AS fees_now,
           ${balanceOf('LOAN_PRINCIPAL', Prisma.sql`l.maturity_date - 1`)} AS principal_at_maturity,
           ${balanceOf('INTEREST_RECEIVABLE', Prisma.sql`l.maturity_date - 1`)} AS interest_at_maturity,
           ${balanceOf('FEES_RECEIVABLE', Prisma.sql`l.maturity_date - 1`)} AS fees_at_maturity,
           (SELECT json_agg(json_build_object('date', c.effective_date::text, 'principal', c.principal::text, 'interest', c.interest::text, 'fees', c.fees::text)
                            ORDER BY c.effective_date)
              FROM (SELECT e.effective_date,
                           coalesce(sum(jl.amount) FILTER (WHERE a.code = 'LOAN_PRINCIPAL'), 0) AS principal,
                           coalesce(sum(jl.amount) FILTER (WHERE a.code = 'INTEREST_RECEIVABLE'), 0) AS interest,
                           coalesce(sum(jl.amount) FILTER (WHERE a.code = 'FEES_RECEIVABLE'), 0) AS fees
                      FROM ledger_account a JOIN journal_line jl ON jl.account_id = a.id JOIN journal_entry e ON e.id = jl.entry_id
                     WHERE a.account_set_id = l.id AND a.code IN ${RECEIVABLES} AND jl.side = 'DEBIT'
                       AND e.effective_date >= l.maturity_date AND e.effective_date <= ${today}::date
                     GROUP BY e.effective_date) AS c) AS charges,
           (SELECT coalesce(sum(d.posted_interest + d.restatement_posted), 0)::text FROM default_interest_accrual d WHERE d.credit_line_id = l.id) AS default_interest_posted
      FROM credit_line l
     WHERE ${where}
     ORDER BY l.id`);
  const bills = await billsOfLines(db, rows.map((row) => row.id));
  return rows.map((row) => recordOf(row, today, bills.get(row.id)?.bills ?? []));
}

/** A line account's balance in normal-balance terms: now (`asOf` null) or at the end of `asOf`. */
function balanceOf(code: string, asOf: Prisma.Sql | null): Prisma.Sql {
  if (asOf === null) {
    return Prisma.sql`(SELECT coalesce(a.balance, 0)::text FROM ledger_account a WHERE a.account_set_id = l.id AND a.code = ${code})`;
  }
  return Prisma.sql`(SELECT coalesce(sum(ledger_signed_amount(a.normal_balance, jl.side, jl.amount)), 0)::text
                       FROM ledger_account a JOIN journal_line jl ON jl.account_id = a.id JOIN journal_entry e ON e.id = jl.entry_id
                      WHERE a.account_set_id = l.id AND a.code = ${code} AND e.effective_date <= ${asOf})`;
}

function recordOf(row: Row, today: string, bills: InterestBillRecord[]): LineDelinquencyRecord {
  const currency = row.currency.trim();
  const money = (amount: string | null) => Money.of(amount ?? '0', currency);
  const terms: DelinquencyTerms = {
    gracePeriodDays: row.grace_period_days,
    defaultInterestSpread: new D(row.default_interest_spread),
    defaultAfterDaysPastDue: row.default_after_days_past_due,
  };
  const owed = { principal: money(row.principal_now), interest: money(row.interest_now), fees: money(row.fees_now) };
  const delinquency = lineDelinquency({
    today,
    maturityDate: row.maturity_date,
    terms,
    owedAtMaturity: { principal: money(row.principal_at_maturity), interest: money(row.interest_at_maturity), fees: money(row.fees_at_maturity) },
    chargedSinceMaturity: (row.charges ?? []).map((charge) => ({ dueDate: charge.date, principal: money(charge.principal), interest: money(charge.interest), fees: money(charge.fees) })),
    owedNow: owed,
    bills,
  });
  return {
    ...delinquency,
    creditLineId: row.id,
    lenderOrganisationId: row.lender,
    sellerOrganisationId: row.seller,
    status: row.status,
    currency,
    asOf: today,
    maturityDate: row.maturity_date,
    terms,
    owed,
    defaultInterestPosted: money(row.default_interest_posted),
    bills,
  };
}

/** The line's delinquency as of `today` (the caller checked the line is visible). */
export async function delinquencyOfLine(db: Db, lineId: string, today: string): Promise<LineDelinquencyRecord> {
  const [record] = await delinquencyWhere(db, Prisma.sql`l.id = ${lineId}::uuid`, today);
  return record;
}

/** Lines a portfolio lists by name (the most days past due first); the buckets count them all. */
export const PORTFOLIO_PAST_DUE_LINES_MAX = 200;

export interface PortfolioBucket {
  bucket: DpdBucket;
  lineCount: number;
  /** Σ owed (principal, interest and fees) of the bucket's lines, per currency, in currency order. */
  owed: Money[];
}

export interface PortfolioDelinquency {
  asOf: string;
  buckets: PortfolioBucket[];
  lineCount: number;
  pastDueLineCount: number;
  /** Lines past due, most days first, at most PORTFOLIO_PAST_DUE_LINES_MAX. */
  pastDueLines: LineDelinquencyRecord[];
}

/** Days past due across the lender's lines in force (ACTIVE, FROZEN, IN_DEFAULT), bucketed, as of `today`. */
export async function portfolioDelinquency(db: Db, lenderOrganisationId: string, today: string): Promise<PortfolioDelinquency> {
  const lines = await delinquencyWhere(db, Prisma.sql`l.lender_organisation_id = ${lenderOrganisationId}::uuid AND l.status IN ('ACTIVE', 'FROZEN', 'IN_DEFAULT')`, today);
  const buckets = DPD_BUCKETS.map((bucket) => {
    const inBucket = lines.filter((line) => line.bucket === bucket);
    const byCurrency = new Map<string, Money>();
    for (const line of inBucket) {
      const owed = line.owed.principal.plus(line.owed.interest).plus(line.owed.fees);
      byCurrency.set(line.currency, (byCurrency.get(line.currency) ?? Money.zero(line.currency)).plus(owed));
    }
    return { bucket, lineCount: inBucket.length, owed: [...byCurrency.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, amount]) => amount) };
  });
  const pastDue = lines.filter((line) => line.daysPastDue > 0).sort((a, b) => b.daysPastDue - a.daysPastDue || (a.creditLineId < b.creditLineId ? -1 : 1));
  return { asOf: today, buckets, lineCount: lines.length, pastDueLineCount: pastDue.length, pastDueLines: pastDue.slice(0, PORTFOLIO_PAST_DUE_LINES_MAX) };
}

// ─── The daily review ────────────────────────────────────────────────────────

export interface DelinquencyReview {
  amountsDue: number;
  overdue: number;
  defaulted: number;
  leftDefault: number;
}

/**
 * What the lines' delinquency as of `now` means, told once: an amount fell due at maturity
 * (credit_line.amount_due), an amount is overdue (credit_line.overdue, once per oldest due date), the line reached
 * its default threshold (credit_line.defaulted: an ACTIVE or FROZEN line goes IN_DEFAULT, after which its lender
 * may start a liquidation, POST /credit-lines/{lineId}/liquidation). Each fact is recorded in
 * line_delinquency_event first, so a rerun of the same day, or of any later one, tells nothing twice. Lines not
 * in force are left alone. A line in default by days past due that no longer is (paid, or renewed) and is not
 * being liquidated leaves default for FROZEN, as a settled liquidation does: its lender unfreezes it. The daily
 * accrual runs it after each batch (prisma/accrual/store.ts accrueLines).
 */
export async function reviewDelinquency(db: Db, lineIds: readonly string[], now: Date): Promise<DelinquencyReview> {
  const review = { amountsDue: 0, overdue: 0, defaulted: 0, leftDefault: 0 };
  const today = now.toISOString().slice(0, 10);
  if (lineIds.length === 0) return review;
  // Only lines in force that have reached their maturity, have a bill past its due date, or are in default (which a renewal
  // or a payment may end) have anything to tell.
  const lines = await delinquencyWhere(
    db,
    Prisma.sql`l.id = ANY(${[...lineIds]}::uuid[]) AND l.status IN ('ACTIVE', 'FROZEN', 'IN_DEFAULT')
                AND (l.maturity_date <= ${today}::date OR l.status = 'IN_DEFAULT'
                     OR EXISTS (SELECT 1 FROM interest_bill b WHERE b.credit_line_id = l.id AND b.due_date < ${today}::date))`,
    today,
  );
  for (const line of lines) {
    if (line.status === 'IN_DEFAULT' && !line.defaultDue && (await leaveDefault(db, line))) review.leftDefault += 1;
    const parties = [line.lenderOrganisationId, line.sellerOrganisationId];
    const amountDue = (line.amountDue ?? Money.zero(line.currency)).toJSON();
    if (line.matured && line.dueAtMaturity && (await firstTime(db, line.creditLineId, 'AMOUNT_DUE', line.maturityDate))) {
      review.amountsDue += 1;
      const due = line.dueAtMaturity;
      await recordEvent(db, 'credit_line.amount_due', {
        subjectId: line.creditLineId,
        parties,
        requestId: null,
        data: { creditLineId: line.creditLineId, dueDate: due.dueDate, principal: due.principal.toJSON(), interest: due.interest.toJSON(), fees: due.fees.toJSON(), total: due.total.toJSON() },
      });
      await tell(db, line, 'amount_due', line.maturityDate, `Credit line ${line.creditLineId} matured on ${line.maturityDate}: ${due.total.format()} is due (principal ${due.principal.format()}, interest ${due.interest.format()}, fees ${due.fees.format()}); no more draws.`);
    }
    if (!line.overdue || line.oldestUnpaidDueDate === null) continue;
    if (await firstTime(db, line.creditLineId, 'OVERDUE', line.oldestUnpaidDueDate)) {
      review.overdue += 1;
      await recordEvent(db, 'credit_line.overdue', {
        subjectId: line.creditLineId,
        parties,
        requestId: null,
        data: { creditLineId: line.creditLineId, dueDate: line.oldestUnpaidDueDate, daysPastDue: line.daysPastDue, gracePeriodDays: line.terms.gracePeriodDays, amountDue, overduePrincipal: line.overduePrincipal.toJSON() },
      });
      await tell(
        db,
        line,
        'overdue',
        line.oldestUnpaidDueDate,
        `Credit line ${line.creditLineId} is ${line.daysPastDue} days past due (due ${line.oldestUnpaidDueDate}, grace period ${line.terms.gracePeriodDays} days): ${line.amountDue?.format() ?? ''} is overdue` +
          `${line.terms.defaultInterestSpread.gt(0) && line.overduePrincipal.isPositive() ? `, and overdue principal accrues default interest of ${line.terms.defaultInterestSpread.toFixed()} a year over the contract rate` : ''}.`,
      );
    }
    if (!line.defaultDue || line.terms.defaultAfterDaysPastDue === null || line.status === 'IN_DEFAULT') continue;
    // Under the line's lock, as every status change: a freeze or a margin evaluation never interleaves.
    await lockLines(db, [line.creditLineId]);
    const { status } = await db.creditLine.findUniqueOrThrow({ where: { id: line.creditLineId }, select: { status: true } });
    if (status !== line.status) continue;
    if (await firstTime(db, line.creditLineId, 'DEFAULTED', line.oldestUnpaidDueDate)) {
      review.defaulted += 1;
      await db.creditLine.update({ where: { id: line.creditLineId }, data: { status: 'IN_DEFAULT' } });
      await db.auditRecord.create({
        data: {
          actorUserId: null,
          organisationId: line.lenderOrganisationId,
          action: 'credit_line.default_past_due',
          targetType: 'credit_line',
          targetId: line.creditLineId,
          before: { status: line.status },
          after: { status: 'IN_DEFAULT', daysPastDue: line.daysPastDue, dueDate: line.oldestUnpaidDueDate, defaultAfterDaysPastDue: line.terms.defaultAfterDaysPastDue },
          requestId: null,
        },
      });
      await recordEvent(db, 'credit_line.status_changed', { subjectId: line.creditLineId, parties, requestId: null, data: { creditLineId: line.creditLineId, from: line.status, to: 'IN_DEFAULT', change: 'default_past_due' } });
      await recordEvent(db, 'credit_line.defaulted', {
        subjectId: line.creditLineId,
        parties,
        requestId: null,
        data: { creditLineId: line.creditLineId, dueDate: line.oldestUnpaidDueDate, daysPastDue: line.daysPastDue, defaultAfterDaysPastDue: line.terms.defaultAfterDaysPastDue, amountDue },
      });
      await tell(
        db,
        line,
        'defaulted',
        line.oldestUnpaidDueDate,
        `Credit line ${line.creditLineId} is in default: ${line.daysPastDue} days past due (due ${line.oldestUnpaidDueDate}), the line's limit is ${line.terms.defaultAfterDaysPastDue}. ` +
          `${line.amountDue?.format() ?? ''} is owed; the lender may start a liquidation of the pledged goods.`,
      );
    }
  }
  return review;
}

/** IN_DEFAULT → FROZEN for a line that defaulted by days past due, is no longer due to, and has no live margin call. */
async function leaveDefault(db: Db, line: LineDelinquencyRecord): Promise<boolean> {
  await lockLines(db, [line.creditLineId]);
  const [row] = await db.$queryRaw<{ status: string; defaulted: boolean; live_call: boolean }[]>(Prisma.sql`
    SELECT l.status::text AS status,
           EXISTS (SELECT 1 FROM line_delinquency_event e WHERE e.credit_line_id = l.id AND e.kind = 'DEFAULTED') AS defaulted,
           EXISTS (SELECT 1 FROM margin_call c WHERE c.credit_line_id = l.id AND c.status IN ('OPEN', 'LIQUIDATING')) AS live_call
      FROM credit_line l WHERE l.id = ${line.creditLineId}::uuid`);
  if (!row || row.status !== 'IN_DEFAULT' || !row.defaulted || row.live_call) return false;
  await db.creditLine.update({ where: { id: line.creditLineId }, data: { status: 'FROZEN' } });
  await db.auditRecord.create({
    data: {
      actorUserId: null,
      organisationId: line.lenderOrganisationId,
      action: 'credit_line.leave_default_past_due',
      targetType: 'credit_line',
      targetId: line.creditLineId,
      before: { status: 'IN_DEFAULT' },
      after: { status: 'FROZEN', daysPastDue: line.daysPastDue, maturityDate: line.maturityDate },
      requestId: null,
    },
  });
  const parties = [line.lenderOrganisationId, line.sellerOrganisationId];
  await recordEvent(db, 'credit_line.status_changed', { subjectId: line.creditLineId, parties, requestId: null, data: { creditLineId: line.creditLineId, from: 'IN_DEFAULT', to: 'FROZEN', change: 'leave_default_past_due' } });
  await tell(
    db,
    line,
    'left_default',
    line.maturityDate,
    `Credit line ${line.creditLineId} has left default: it is ${line.daysPastDue} days past due (maturity ${line.maturityDate}). It stays frozen until its lender unfreezes or closes it.`,
  );
  return true;
}

async function firstTime(db: Db, lineId: string, kind: 'AMOUNT_DUE' | 'OVERDUE' | 'DEFAULTED', dueDate: string): Promise<boolean> {
  const inserted = await db.$queryRaw<{ kind: string }[]>(Prisma.sql`
    INSERT INTO line_delinquency_event (credit_line_id, kind, due_date) VALUES (${lineId}::uuid, ${kind}, ${dueDate}::date)
    ON CONFLICT DO NOTHING RETURNING kind`);
  return inserted.length === 1;
}

async function tell(db: Db, line: LineDelinquencyRecord, kind: string, dueDate: string, message: string): Promise<void> {
  for (const organisationId of [line.lenderOrganisationId, line.sellerOrganisationId]) {
    await notify(db, { organisationId, kind: `credit_line_${kind}`, message, subjectType: 'credit_line', subjectId: line.creditLineId, dedupeKey: `delinquency-${kind}:${line.creditLineId}:${dueDate}:${organisationId}` });
  }
}
