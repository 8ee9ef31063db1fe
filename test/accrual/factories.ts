import type { DayCount } from '../../domain/day-count';
import { randomUUID } from 'node:crypto';
import { Money } from '../../domain/money';
import { inTransaction, type PrismaClient } from '../../prisma/client';
import { LINE_ACCOUNTS, type CreditLineStatus, type LineAccountCode } from '../../prisma/credit-lines/store';
import { createOrganisationWithAdmin } from '../../prisma/identity/store';
import { createAccountSet, postEntry } from '../../prisma/ledger/store';

export interface Parties {
  lenderOrganisationId: string;
  sellerOrganisationId: string;
}

export interface AccruingLine {
  id: string;
  currency: string;
  accountIds: Record<LineAccountCode, string>;
}

/** A lender and a seller, written directly. */
export async function createParties(prisma: PrismaClient): Promise<Parties> {
  const organisation = (kind: 'LENDER' | 'SELLER') =>
    inTransaction(prisma, (tx) =>
      createOrganisationWithAdmin(tx, { kind, name: `${kind.toLowerCase()} ${randomUUID().slice(0, 8)}`, admin: { email: `admin-${randomUUID()}@example.test`, name: 'Admin' } }, null, new Date()),
    );
  const [lender, seller] = [await organisation('LENDER'), await organisation('SELLER')];
  return { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId };
}

/**
 * A line with its ledger accounts, opened (created_at) at the start of `openedOn` UTC — written
 * directly, so that a line can have been opened in the past.
 */
export async function openLine(
  prisma: PrismaClient,
  parties: Parties,
  options: { annualInterestRate?: string; dayCount?: DayCount; currency?: string; openedOn?: string; status?: CreditLineStatus } = {},
): Promise<AccruingLine> {
  const currency = options.currency ?? 'USD';
  return inTransaction(prisma, async (tx) => {
    const line = await tx.creditLine.create({
      data: {
        ...parties,
        currency,
        status: options.status ?? 'ACTIVE',
        limitAmount: '100000000',
        defaultAdvanceRate: '0.5',
        haircut: '0.1',
        annualInterestRate: options.annualInterestRate ?? '0.12',
        dayCount: options.dayCount ?? 'ACT_360',
        maxMarkAgeHours: 24,
        marginCallLtv: '0.6',
        liquidationLtv: '0.75',
        targetLtv: '0.4',
        curePeriodHours: 48,
        stockCountIntervalDays: 14,
        maturityDate: new Date('2027-12-31T00:00:00Z'),
        autoApproveUpTo: '0',
        singleApproverUpTo: '0',
        approvalWindowHours: 12,
        waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
        createdAt: new Date(`${options.openedOn ?? '2026-11-01'}T00:00:00Z`),
      },
    });
    const accounts = await createAccountSet(tx, { accountSetId: line.id, currency, accounts: [...LINE_ACCOUNTS] });
    return { id: line.id, currency, accountIds: Object.fromEntries(accounts.map((account) => [account.code, account.id])) as Record<LineAccountCode, string> };
  });
}

/** Principal advanced on `effectiveDate`: Dr LOAN_PRINCIPAL / Cr LENDER_FUNDING. */
export function draw(prisma: PrismaClient, line: AccruingLine, effectiveDate: string, amount: string) {
  return post(prisma, line, `draw:${effectiveDate}:${amount}`, effectiveDate, 'LOAN_PRINCIPAL', 'LENDER_FUNDING', amount);
}

/** Principal repaid on `effectiveDate`: Dr COLLECTION / Cr LOAN_PRINCIPAL. */
export function repay(prisma: PrismaClient, line: AccruingLine, effectiveDate: string, amount: string) {
  return post(prisma, line, `repay:${effectiveDate}:${amount}`, effectiveDate, 'COLLECTION', 'LOAN_PRINCIPAL', amount);
}

function post(prisma: PrismaClient, line: AccruingLine, key: string, effectiveDate: string, debit: LineAccountCode, credit: LineAccountCode, amount: string) {
  const money = Money.of(amount, line.currency);
  return postEntry(prisma, {
    idempotencyKey: `${line.id}:${key}`,
    description: key,
    effectiveDate,
    accountSetId: line.id,
    lines: [
      { accountId: line.accountIds[debit], side: 'DEBIT', amount: money },
      { accountId: line.accountIds[credit], side: 'CREDIT', amount: money },
    ],
  });
}

/** What the ledger holds for the whole database: entry count and every account's balance. */
export async function ledgerSnapshot(sql: (text: string) => Promise<Record<string, unknown>[]>) {
  const [entries] = await sql(`SELECT count(*)::int AS n FROM journal_entry`);
  const balances = await sql(`SELECT id::text, balance::text FROM ledger_account ORDER BY id`);
  const [accruals] = await sql(`SELECT count(*)::int AS n FROM interest_accrual`);
  return { entries: Number(entries.n), accruals: Number(accruals.n), balances };
}

/** The clock of accrual calls in these tests: a day after every day they accrue (accrual runs only for days that are over). */
export const CLOCK = { now: new Date('2027-06-01T00:00:00Z') };
