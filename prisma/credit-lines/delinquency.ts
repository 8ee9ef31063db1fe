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
  /** Σ default interest the accrual posted (Cr DEFAULT_INTEREST_INCOME), as of now. */
  defaultInterestPosted: Money;
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
           (SELECT coalesce(sum(d.posted_interest), 0)::text FROM default_interest_accrual d WHERE d.credit_line_id = l.id) AS default_interest_posted
      FROM credit_line l
     WHERE ${where}
     ORDER BY l.id`);
  return rows.map((row) => recordOf(row, today));
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

function recordOf(row: Row, today: string): LineDelinquencyRecord {
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
  };
}

/** The line's delinquency as of `today` (the caller checked the line is visible). */
export async function delinquencyOfLine(db: Db, lineId: string, today: string): Promise<LineDelinquencyRecord> {
  const [record] = await delinquencyWhere(db, Prisma.sql`l.id = ${lineId}::uuid`, today);
  return record;
}

/** The delinquency of each of the lines (in force or not), as of `today`. */
export async function delinquencyOfLines(db: Db, lineIds: readonly string[], today: string): Promise<LineDelinquencyRecord[]> {
  if (lineIds.length === 0) return [];
  return delinquencyWhere(db, Prisma.sql`l.id = ANY(${[...lineIds]}::uuid[])`, today);
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
