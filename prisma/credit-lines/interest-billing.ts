/**
 * Interest bills (rules in domain/interest-billing.ts): written by the daily run for the lines of each batch,
 * after their accrual and before their delinquency review (prisma/accrual/store.ts accrueLines), and read with
 * what of each is paid.
 *
 * A bill is what the accrual posted to the line's INTEREST_RECEIVABLE for the days of its period: the signed
 * INTEREST_RECEIVABLE lines of the entries the accrual wrote for those days (the day's interest, a restatement
 * posted that day, the day's default interest), by their effective date (the accrued day). Payments and other
 * postings to the account are not interest charged and do not count. A bill is written once per line and billing
 * day (the key of interest_bill): a rerun of the same day, or a later run, finds it and writes nothing.
 */
import { billsDue, billsWithPayments, unpaidBilledInterest, type InterestBilling } from '../../domain/interest-billing';
import { addDays } from '../../domain/delinquency';
import { D, Money } from '../../domain/money';
import { Prisma, type Db } from '../client';
import { recordEvent } from '../events/store';
import { notify } from '../notifications/store';

/** Signed (Dr +, Cr −) INTEREST_RECEIVABLE postings of the accrual's entries for the line aliased `line`, days `from`..`to`, per day. */
function postedByDaySql(line: Prisma.Sql, from: Prisma.Sql, to: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT e.effective_date AS day, sum(CASE WHEN jl.side = 'DEBIT' THEN jl.amount ELSE -jl.amount END) AS posted
      FROM ledger_account a
      JOIN journal_line jl ON jl.account_id = a.id
      JOIN journal_entry e ON e.id = jl.entry_id
     WHERE a.account_set_id = ${line} AND a.code = 'INTEREST_RECEIVABLE'
       AND e.effective_date BETWEEN ${from} AND ${to}
       AND e.id IN (SELECT ia.ledger_entry_id FROM interest_accrual ia WHERE ia.credit_line_id = ${line} AND ia.accrual_date BETWEEN ${from} AND ${to}
                    UNION ALL
                    SELECT ia.restatement_entry_id FROM interest_accrual ia WHERE ia.credit_line_id = ${line} AND ia.accrual_date BETWEEN ${from} AND ${to}
                    UNION ALL
                    SELECT di.ledger_entry_id FROM default_interest_accrual di WHERE di.credit_line_id = ${line} AND di.accrual_date BETWEEN ${from} AND ${to}
                    UNION ALL
                    SELECT di.restatement_entry_id FROM default_interest_accrual di WHERE di.credit_line_id = ${line} AND di.accrual_date BETWEEN ${from} AND ${to})
     GROUP BY e.effective_date`;
}

type BillingLineRow = {
  id: string;
  lender: string;
  seller: string;
  currency: string;
  opened_on: string;
  latest_accrued: string | null;
  last_period_to: string | null;
  day_of_month: number | null;
  due_after_days: number | null;
  versions: { effectiveFrom: string; interestBilling: InterestBilling | null }[] | null;
};

export interface BillingRun {
  billsWritten: number;
}

/**
 * Writes the bills due on the lines of `lineIds` (in force, with billing in their terms now or in any agreed version)
 * for every billing day up to the day after their latest accrued day: each line is billed for days it has accrued,
 * never for a day still to come.
 */
export async function billInterest(db: Db, lineIds: readonly string[]): Promise<BillingRun> {
  const run = { billsWritten: 0 };
  if (lineIds.length === 0) return run;
  const lines = await db.$queryRaw<BillingLineRow[]>(Prisma.sql`
    SELECT l.id::text, l.lender_organisation_id::text AS lender, l.seller_organisation_id::text AS seller, l.currency,
           to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS opened_on,
           (SELECT max(ia.accrual_date)::text FROM interest_accrual ia WHERE ia.credit_line_id = l.id) AS latest_accrued,
           (SELECT max(b.period_to)::text FROM interest_bill b WHERE b.credit_line_id = l.id) AS last_period_to,
           l.interest_billing_day_of_month AS day_of_month, l.interest_billing_due_after_days AS due_after_days,
           (SELECT json_agg(json_build_object('effectiveFrom', v.effective_from::text, 'interestBilling', v.terms->'interestBilling')
                            ORDER BY v.effective_from, v.version_no)
              FROM credit_terms_version v WHERE v.credit_line_id = l.id AND v.status = 'AGREED') AS versions
      FROM credit_line l
     WHERE l.id = ANY(${[...lineIds]}::uuid[]) AND l.status IN ('ACTIVE', 'FROZEN', 'IN_DEFAULT')
       AND (l.interest_billing_day_of_month IS NOT NULL
            OR EXISTS (SELECT 1 FROM credit_terms_version v
                        WHERE v.credit_line_id = l.id AND v.status = 'AGREED' AND jsonb_typeof(v.terms->'interestBilling') = 'object'))
     ORDER BY l.id`);
  for (const line of lines) {
    if (line.latest_accrued === null) continue;
    const currency = line.currency.trim();
    const periodStart = line.last_period_to === null ? line.opened_on : addDays(line.last_period_to, 1);
    const lastCandidate = addDays(line.latest_accrued, 1);
    if (lastCandidate <= periodStart) continue;
    const postedRows = await db.$queryRaw<{ day: string; posted: string }[]>(Prisma.sql`
      SELECT p.day::text AS day, p.posted::text AS posted
        FROM (${postedByDaySql(Prisma.sql`${line.id}::uuid`, Prisma.sql`${periodStart}::date`, Prisma.sql`${line.latest_accrued}::date`)}) AS p`);
    const postedOn = new Map(postedRows.map((row) => [row.day, new D(row.posted)]));
    const bills = billsDue({
      periodStart,
      firstCandidate: addDays(periodStart, 1),
      lastCandidate,
      billingOn: (date) => billingInForce(line, date),
      postedFor: (from, to) => {
        let sum = new D(0);
        for (const [day, posted] of postedOn) if (day >= from && day <= to) sum = sum.plus(posted);
        return Money.of(sum, currency);
      },
    });
    for (const bill of bills) {
      const inserted = await db.$queryRaw<{ billed_on: string }[]>(Prisma.sql`
        INSERT INTO interest_bill (credit_line_id, billed_on, period_from, period_to, currency, amount, due_date)
        VALUES (${line.id}::uuid, ${bill.billedOn}::date, ${bill.periodFrom}::date, ${bill.periodTo}::date, ${currency}, ${bill.amount.toFixedString()}::numeric, ${bill.dueDate}::date)
        ON CONFLICT DO NOTHING RETURNING billed_on::text`);
      if (inserted.length === 0) continue;
      run.billsWritten += 1;
      const data = { creditLineId: line.id, billedOn: bill.billedOn, periodFrom: bill.periodFrom, periodTo: bill.periodTo, amount: bill.amount.toJSON(), dueDate: bill.dueDate };
      await recordEvent(db, 'credit_line.interest_billed', { subjectId: line.id, parties: [line.lender, line.seller], requestId: null, data });
      for (const organisationId of [line.lender, line.seller]) {
        await notify(db, {
          organisationId,
          kind: 'credit_line_interest_billed',
          message: `Credit line ${line.id}: interest of ${bill.periodFrom} to ${bill.periodTo}, ${bill.amount.format()}, billed on ${bill.billedOn}, is due on ${bill.dueDate}.`,
          subjectType: 'credit_line',
          subjectId: line.id,
          dedupeKey: `interest-billed:${line.id}:${bill.billedOn}:${organisationId}`,
        });
      }
    }
  }
  return run;
}

/** The billing terms in force on `date`: the agreed version with the latest effective date on or before it, else the line's own. */
function billingInForce(line: BillingLineRow, date: string): InterestBilling | null {
  const versions = line.versions ?? [];
  let inForce: { interestBilling: InterestBilling | null } | null = null;
  for (const version of versions) if (version.effectiveFrom <= date) inForce = version;
  if (inForce !== null) return inForce.interestBilling ?? null;
  return line.day_of_month === null || line.due_after_days === null ? null : { dayOfMonth: line.day_of_month, dueAfterDays: line.due_after_days };
}

export interface InterestBillRecord {
  creditLineId: string;
  billedOn: string;
  periodFrom: string;
  periodTo: string;
  dueDate: string;
  amount: Money;
  /** Settled by interest paid, oldest bill first. */
  paid: Money;
  unpaid: Money;
}

export interface LineBills {
  bills: InterestBillRecord[];
  billed: Money;
  unpaidBilled: Money;
}

/**
 * Every bill of each line with what of it is paid: the interest owed now (INTEREST_RECEIVABLE) less what was posted
 * after the last bill's period is billed and unpaid, carried by the newest bills (domain/interest-billing.ts).
 */
export async function billsOfLines(db: Db, lineIds: readonly string[]): Promise<Map<string, LineBills>> {
  const result = new Map<string, LineBills>();
  if (lineIds.length === 0) return result;
  const rows = await db.$queryRaw<
    { id: string; currency: string; interest_now: string; not_billed: string; bills: { billedOn: string; periodFrom: string; periodTo: string; dueDate: string; amount: string }[] }[]
  >(Prisma.sql`
    SELECT l.id::text, l.currency,
           (SELECT coalesce(a.balance, 0)::text FROM ledger_account a WHERE a.account_set_id = l.id AND a.code = 'INTEREST_RECEIVABLE') AS interest_now,
           (SELECT coalesce(sum(p.posted), 0)::text
              FROM (${postedByDaySql(Prisma.sql`l.id`, Prisma.sql`(lb.last_period_to + 1)`, Prisma.sql`'infinity'::date`)}) AS p) AS not_billed,
           (SELECT json_agg(json_build_object('billedOn', b.billed_on::text, 'periodFrom', b.period_from::text, 'periodTo', b.period_to::text,
                                              'dueDate', b.due_date::text, 'amount', b.amount::text) ORDER BY b.billed_on)
              FROM interest_bill b WHERE b.credit_line_id = l.id) AS bills
      FROM credit_line l
      JOIN LATERAL (SELECT max(b.period_to) AS last_period_to FROM interest_bill b WHERE b.credit_line_id = l.id) AS lb ON lb.last_period_to IS NOT NULL
     WHERE l.id = ANY(${[...lineIds]}::uuid[])`);
  for (const row of rows) {
    const currency = row.currency.trim();
    const money = (amount: string) => Money.of(amount, currency);
    const bills = row.bills.map((bill) => ({ creditLineId: row.id, billedOn: bill.billedOn, periodFrom: bill.periodFrom, periodTo: bill.periodTo, dueDate: bill.dueDate, amount: money(bill.amount) }));
    const billed = bills.reduce((sum, bill) => sum.plus(bill.amount), Money.zero(currency));
    const unpaidBilled = unpaidBilledInterest({ billed, interestOwed: money(row.interest_now ?? '0'), notBilled: money(row.not_billed) });
    result.set(row.id, { bills: billsWithPayments(bills, unpaidBilled), billed, unpaidBilled });
  }
  return result;
}

/** A line's bills, oldest first, with what of each is paid (the caller checked the line is visible). */
export async function billsOfLine(db: Db, lineId: string, currency: string): Promise<LineBills> {
  return (await billsOfLines(db, [lineId])).get(lineId) ?? { bills: [], billed: Money.zero(currency), unpaidBilled: Money.zero(currency) };
}
