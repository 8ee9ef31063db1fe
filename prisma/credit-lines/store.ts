/**
 * Credit lines: opening a line with its ledger accounts, reading the lines an
 * organisation is party to, and the status changes a lender makes (freeze,
 * unfreeze, close). Amounts owed are never stored on the line: they are the
 * balances of the line's ledger account set (account set id = line id).
 */
import type { Decimal } from 'decimal.js';
import { validateCreditTerms, type CreditTerms, type OnSaleFee, type WaterfallBucket } from '../../domain/credit-terms';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, assert } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import { recordAudit, type AuditActor } from '../audit/store';
import type { Db, Prisma } from '../client';
import type { OrganisationKind, UserRole } from '../generated/client';
import { balances, createAccountSet, type AccountDefinition } from '../ledger/store';

export type CreditLineStatus = 'ACTIVE' | 'FROZEN' | 'IN_DEFAULT' | 'CLOSED';

export interface CreditLineRecord {
  id: string;
  lenderOrganisationId: string;
  sellerOrganisationId: string;
  status: CreditLineStatus;
  terms: CreditTerms;
  createdAt: Date;
  updatedAt: Date;
}

/** What the seller owes on the line, read from the ledger. */
export interface LineOutstanding {
  principal: Money;
  interestReceivable: Money;
  feesReceivable: Money;
}

/** Who acts on a line: the audited user, with what their organisation is and their role in it. */
export interface LineActor extends AuditActor {
  organisationKind: OrganisationKind;
  role: UserRole;
}

// ─── Ledger accounts of a line ───────────────────────────────────────────────
//
// The line is its own little book, seen from the lender's side. Balances are in
// normal-balance terms (positive = on the account's normal side).
//
//   draw disbursed        Dr LOAN_PRINCIPAL       / Cr LENDER_FUNDING
//   interest accrued      Dr INTEREST_RECEIVABLE  / Cr INTEREST_INCOME
//   fee charged           Dr FEES_RECEIVABLE      / Cr FEE_INCOME
//   buyer pays            Dr COLLECTION           / Cr FEES_RECEIVABLE, INTEREST_RECEIVABLE,
//                                                   LOAN_PRINCIPAL (waterfall), SELLER_PAYABLE (rest)
//   lender swept          Dr LENDER_FUNDING       / Cr COLLECTION
//   seller paid out       Dr SELLER_PAYABLE       / Cr COLLECTION
//
// LENDER_FUNDING is the lender's net investment in the line (equity of the
// book): it may go below zero once the lender has taken out more than it put
// in, i.e. has been paid its income, so it carries no overdraft guard. COLLECTION
// is cash actually held, which can never be negative.
export const LINE_ACCOUNTS = [
  { code: 'LOAN_PRINCIPAL', name: 'Loan principal outstanding', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'INTEREST_RECEIVABLE', name: 'Interest accrued, not yet paid', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'FEES_RECEIVABLE', name: 'Fees charged, not yet paid', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'COLLECTION', name: 'Collection account: cash received from buyers', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'LENDER_FUNDING', name: "Lender's funding of advances", type: 'EQUITY', normalBalance: 'CREDIT', mustNotGoNegative: false },
  { code: 'SELLER_PAYABLE', name: 'Proceeds owed to the seller', type: 'LIABILITY', normalBalance: 'CREDIT', mustNotGoNegative: true },
  { code: 'INTEREST_INCOME', name: 'Interest earned', type: 'INCOME', normalBalance: 'CREDIT', mustNotGoNegative: false },
  { code: 'FEE_INCOME', name: 'Fees earned', type: 'INCOME', normalBalance: 'CREDIT', mustNotGoNegative: false },
] as const satisfies readonly AccountDefinition[];

export type LineAccountCode = (typeof LINE_ACCOUNTS)[number]['code'];

// ─── Opening ─────────────────────────────────────────────────────────────────

export function requireLenderAdmin(actor: LineActor): void {
  if (actor.organisationKind !== 'LENDER' || actor.role !== 'ADMIN') {
    throw new ForbiddenError(`only an ADMIN of a LENDER organisation can open credit lines; you are ${actor.role} of a ${actor.organisationKind}`);
  }
}

/**
 * Opens a line between the actor's lender organisation and a seller, with its
 * ledger account set, in the caller's transaction. `terms` must already be
 * consistent (the API edge reports every problem to the client first).
 */
export async function openCreditLine(
  db: Db,
  actor: LineActor,
  input: { sellerOrganisationId: string; terms: CreditTerms },
): Promise<CreditLineRecord> {
  requireLenderAdmin(actor);
  const problems = validateCreditTerms(input.terms);
  assert(problems.length === 0, `credit terms are checked before a line is opened; found ${JSON.stringify(problems)}`);
  await requireSellerOrganisation(db, input.sellerOrganisationId);
  const row = await db.creditLine.create({
    data: {
      lenderOrganisationId: actor.organisationId,
      sellerOrganisationId: input.sellerOrganisationId,
      ...termsColumns(input.terms),
      advanceRates: { create: advanceRateRows(input.terms) },
    },
    include: { advanceRates: true },
  });
  await createAccountSet(db, { accountSetId: row.id, currency: row.currency, accounts: [...LINE_ACCOUNTS] });
  const line = creditLineFromRow(row);
  await recordAudit(db, actor, { action: 'credit_line.open', targetType: 'credit_line', targetId: line.id, after: lineSnapshot(line) });
  return line;
}

async function requireSellerOrganisation(db: Db, organisationId: string): Promise<void> {
  const organisation = await db.organisation.findUnique({ where: { id: organisationId } });
  if (!organisation) {
    throw new BusinessRuleError('seller_organisation_required', `organisation ${organisationId} does not exist; a credit line is opened with a registered SELLER organisation`);
  }
  if (organisation.kind !== 'SELLER') {
    throw new BusinessRuleError('seller_organisation_required', `organisation ${organisationId} is a ${organisation.kind}; a credit line is opened with a SELLER organisation`);
  }
}

// ─── Reading ─────────────────────────────────────────────────────────────────

const partyTo = (organisationId: string) => ({ OR: [{ lenderOrganisationId: organisationId }, { sellerOrganisationId: organisationId }] });

/** The line, if `organisationId` is its lender or seller; to anyone else it does not exist. */
export async function creditLineVisibleTo(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  const row = await db.creditLine.findFirst({ where: { id: lineId, ...partyTo(organisationId) }, include: { advanceRates: true } });
  if (!row) throw new NotFoundError('credit line', lineId);
  return creditLineFromRow(row);
}

/** Lines `organisationId` is party to, newest first, after the line `afterLineId` when paging. */
export async function creditLinesVisibleTo(
  db: Db,
  organisationId: string,
  page: { afterLineId: string | null; limit: number },
): Promise<CreditLineRecord[]> {
  const rows = await db.creditLine.findMany({
    where: partyTo(organisationId),
    include: { advanceRates: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.limit,
    // Prisma compares the cursor row's own column values in SQL, so microsecond timestamps page exactly.
    ...(page.afterLineId ? { cursor: { id: page.afterLineId }, skip: 1 } : {}),
  });
  return rows.map(creditLineFromRow);
}

/** Principal, interest and fees owed on the line: its ledger balances now. */
export async function lineOutstanding(db: Db, line: Pick<CreditLineRecord, 'id'>): Promise<LineOutstanding> {
  return outstandingFrom(await lineBalances(db, line));
}

function outstandingFrom(balanceOf: (code: LineAccountCode) => Money): LineOutstanding {
  return {
    principal: balanceOf('LOAN_PRINCIPAL'),
    interestReceivable: balanceOf('INTEREST_RECEIVABLE'),
    feesReceivable: balanceOf('FEES_RECEIVABLE'),
  };
}

/** The balances of the line's account set, read once; the returned lookup asserts the account exists. */
async function lineBalances(db: Db, line: Pick<CreditLineRecord, 'id'>): Promise<(code: LineAccountCode) => Money> {
  const byCode = new Map((await balances(db, { accountSetId: line.id })).map((account) => [account.code, account.balance]));
  return (code) => {
    const balance = byCode.get(code);
    assert(balance !== undefined, `credit line ${line.id} has ledger account ${code}`);
    return balance;
  };
}

// ─── Status changes ──────────────────────────────────────────────────────────

/** Which statuses each change may start from. IN_DEFAULT is entered and left by the margin-call process, not by hand. */
const STATUS_CHANGES = {
  freeze: { from: ['ACTIVE'], to: 'FROZEN' },
  unfreeze: { from: ['FROZEN'], to: 'ACTIVE' },
  close: { from: ['ACTIVE', 'FROZEN', 'IN_DEFAULT'], to: 'CLOSED' },
} as const satisfies Record<string, { from: readonly CreditLineStatus[]; to: CreditLineStatus }>;

export type StatusChange = keyof typeof STATUS_CHANGES;

const DECIDING_ROLES: readonly UserRole[] = ['ADMIN', 'APPROVER'];

/** Stops new draws; collections and accrual go on. */
export const freezeCreditLine = (db: Db, actor: LineActor, lineId: string) => changeStatus(db, actor, lineId, 'freeze');
export const unfreezeCreditLine = (db: Db, actor: LineActor, lineId: string) => changeStatus(db, actor, lineId, 'unfreeze');
/** Only once the ledger shows nothing owed: no principal, interest or fees. */
export const closeCreditLine = (db: Db, actor: LineActor, lineId: string) => changeStatus(db, actor, lineId, 'close');

async function changeStatus(db: Db, actor: LineActor, lineId: string, change: StatusChange): Promise<CreditLineRecord> {
  const line = await lockCreditLineVisibleTo(db, actor.organisationId, lineId);
  requireLenderDecider(actor, line, change);
  const { from, to } = STATUS_CHANGES[change];
  if (!(from as readonly CreditLineStatus[]).includes(line.status)) {
    throw new ConflictError(`credit line ${line.id} is ${line.status}; only a line that is ${from.join(' or ')} can be ${pastTense(change)}`);
  }
  if (change === 'close') await requireNothingOutstanding(db, line);
  const row = await db.creditLine.update({ where: { id: line.id }, data: { status: to }, include: { advanceRates: true } });
  const changed = creditLineFromRow(row);
  await recordAudit(db, actor, {
    action: `credit_line.${change}`,
    targetType: 'credit_line',
    targetId: line.id,
    before: { status: line.status },
    after: { status: changed.status },
  });
  return changed;
}

/** Locks the line's row for the rest of the transaction, so that status checks and changes cannot interleave. */
async function lockCreditLineVisibleTo(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  return creditLineVisibleTo(db, organisationId, lineId);
}

function requireLenderDecider(actor: LineActor, line: CreditLineRecord, change: StatusChange): void {
  if (actor.organisationId !== line.lenderOrganisationId || !DECIDING_ROLES.includes(actor.role)) {
    throw new ForbiddenError(
      `only an ADMIN or APPROVER of the line's lender can ${change} credit line ${line.id}; you are ${actor.role} of its ${actor.organisationId === line.sellerOrganisationId ? 'seller' : 'lender'}`,
    );
  }
}

async function requireNothingOutstanding(db: Db, line: CreditLineRecord): Promise<void> {
  const balanceOf = await lineBalances(db, line);
  const outstanding = outstandingFrom(balanceOf);
  if (!(outstanding.principal.isZero() && outstanding.interestReceivable.isZero() && outstanding.feesReceivable.isZero())) {
    throw new BusinessRuleError(
      'line_has_outstanding_balance',
      `credit line ${line.id} cannot be closed while anything is owed: principal ${outstanding.principal.format()}, ` +
        `interest ${outstanding.interestReceivable.format()}, fees ${outstanding.feesReceivable.format()}; all must be 0`,
    );
  }
  // Sale proceeds the seller is owed are paid out before the line closes: nothing owed to anyone stays on a closed line.
  const sellerPayable = balanceOf('SELLER_PAYABLE');
  if (!sellerPayable.isZero()) {
    throw new BusinessRuleError(
      'line_has_seller_proceeds_unpaid',
      `credit line ${line.id} cannot be closed while ${sellerPayable.format()} of sale proceeds is owed to the seller; pay them out first`,
    );
  }
}

function pastTense(change: StatusChange): string {
  return { freeze: 'frozen', unfreeze: 'unfrozen', close: 'closed' }[change];
}

// ─── Rows ⇄ domain ───────────────────────────────────────────────────────────

type CreditLineRow = Prisma.CreditLineGetPayload<{ include: { advanceRates: true } }>;

function termsColumns(terms: CreditTerms) {
  const { onSale, perDraw } = terms.feeSchedule;
  return {
    currency: terms.currency,
    limitAmount: terms.limit.amount.toFixed(),
    defaultAdvanceRate: terms.defaultAdvanceRate.toFixed(),
    haircut: terms.haircut.toFixed(),
    annualInterestRate: terms.annualInterestRate.toFixed(),
    dayCount: terms.dayCount,
    onSaleFeeKind: onSale?.kind ?? null,
    onSaleFeeStorageDays: onSale?.kind === 'STORAGE_DAYS' ? onSale.days : null,
    onSaleFeeDailyRatePerUnit: onSale?.kind === 'STORAGE_DAYS' ? onSale.dailyStorageRatePerUnit.amount.toFixed() : null,
    onSaleFeePercent: onSale?.kind === 'PERCENT_OF_PROCEEDS' ? onSale.percent.toFixed() : null,
    perDrawFee: perDraw?.amount.toFixed() ?? null,
    maxMarkAgeHours: terms.maxMarkAgeHours,
    marginCallLtv: terms.marginCallLtv.toFixed(),
    liquidationLtv: terms.liquidationLtv.toFixed(),
    targetLtv: terms.targetLtv.toFixed(),
    curePeriodHours: terms.curePeriodHours,
    stockCountIntervalDays: terms.stockCountIntervalDays,
    maturityDate: new Date(`${terms.maturityDate}T00:00:00Z`),
    autoApproveUpTo: terms.approvalThresholds.autoApproveUpTo.amount.toFixed(),
    singleApproverUpTo: terms.approvalThresholds.singleApproverUpTo.amount.toFixed(),
    approvalWindowHours: terms.approvalWindowHours,
    waterfallOrder: [...terms.waterfallOrder],
  };
}

function advanceRateRows(terms: CreditTerms) {
  return Object.entries(terms.advanceRatesByCommodity).map(([commodityCode, rate]) => ({ commodityCode, advanceRate: rate.toFixed() }));
}

/** NUMERIC read back through its plain text, so no binary float ever holds it. */
const decimalOf = (value: Prisma.Decimal): Decimal => new D(value.toFixed());

function creditLineFromRow(row: CreditLineRow): CreditLineRecord {
  const money = (value: Prisma.Decimal) => Money.of(value.toFixed(), row.currency);
  return {
    id: row.id,
    lenderOrganisationId: row.lenderOrganisationId,
    sellerOrganisationId: row.sellerOrganisationId,
    status: row.status,
    terms: {
      currency: row.currency,
      limit: money(row.limitAmount),
      defaultAdvanceRate: decimalOf(row.defaultAdvanceRate),
      advanceRatesByCommodity: Object.fromEntries(
        [...row.advanceRates].sort((a, b) => (a.commodityCode < b.commodityCode ? -1 : 1)).map((rate) => [rate.commodityCode, decimalOf(rate.advanceRate)]),
      ),
      haircut: decimalOf(row.haircut),
      annualInterestRate: decimalOf(row.annualInterestRate),
      dayCount: row.dayCount,
      feeSchedule: { onSale: onSaleFeeFromRow(row), perDraw: row.perDrawFee === null ? null : money(row.perDrawFee) },
      maxMarkAgeHours: row.maxMarkAgeHours,
      marginCallLtv: decimalOf(row.marginCallLtv),
      liquidationLtv: decimalOf(row.liquidationLtv),
      targetLtv: decimalOf(row.targetLtv),
      curePeriodHours: row.curePeriodHours,
      stockCountIntervalDays: row.stockCountIntervalDays,
      maturityDate: row.maturityDate.toISOString().slice(0, 10),
      approvalThresholds: { autoApproveUpTo: money(row.autoApproveUpTo), singleApproverUpTo: money(row.singleApproverUpTo) },
      approvalWindowHours: row.approvalWindowHours,
      waterfallOrder: row.waterfallOrder as WaterfallBucket[],
    },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function onSaleFeeFromRow(row: CreditLineRow): OnSaleFee | null {
  if (row.onSaleFeeKind === null) return null;
  if (row.onSaleFeeKind === 'STORAGE_DAYS') {
    assert(row.onSaleFeeStorageDays !== null && row.onSaleFeeDailyRatePerUnit !== null, `line ${row.id}'s storage-days fee has days and a rate`);
    return { kind: 'STORAGE_DAYS', days: row.onSaleFeeStorageDays, dailyStorageRatePerUnit: Money.of(row.onSaleFeeDailyRatePerUnit.toFixed(), row.currency) };
  }
  assert(row.onSaleFeePercent !== null, `line ${row.id}'s percent-of-proceeds fee has a percent`);
  return { kind: 'PERCENT_OF_PROCEEDS', percent: decimalOf(row.onSaleFeePercent) };
}

// ─── JSON form (API responses and audit snapshots) ───────────────────────────

/** The terms as JSON: amounts padded to the currency scale, rates in plain notation, never JSON numbers for decimals. */
export type CreditTermsJson = {
  currency: string;
  limit: string;
  defaultAdvanceRate: string;
  advanceRatesByCommodity: Record<string, string>;
  haircut: string;
  annualInterestRate: string;
  dayCount: 'ACT_360' | 'ACT_365';
  feeSchedule: {
    onSale: { kind: 'STORAGE_DAYS'; days: number; dailyStorageRatePerUnit: string } | { kind: 'PERCENT_OF_PROCEEDS'; percent: string } | null;
    perDraw: string | null;
  };
  maxMarkAgeHours: number;
  marginCallLtv: string;
  liquidationLtv: string;
  targetLtv: string;
  curePeriodHours: number;
  stockCountIntervalDays: number;
  maturityDate: string;
  approvalThresholds: { autoApproveUpTo: string; singleApproverUpTo: string };
  approvalWindowHours: number;
  waterfallOrder: WaterfallBucket[];
};

export function creditTermsAsJson(terms: CreditTerms): CreditTermsJson {
  const rate = (value: Decimal) => value.toFixed();
  const onSale = terms.feeSchedule.onSale;
  return {
    currency: terms.currency,
    limit: terms.limit.toFixedString(),
    defaultAdvanceRate: rate(terms.defaultAdvanceRate),
    advanceRatesByCommodity: Object.fromEntries(Object.entries(terms.advanceRatesByCommodity).map(([code, value]) => [code, rate(value)])),
    haircut: rate(terms.haircut),
    annualInterestRate: rate(terms.annualInterestRate),
    dayCount: terms.dayCount,
    feeSchedule: {
      onSale:
        onSale === null
          ? null
          : onSale.kind === 'STORAGE_DAYS'
            ? { kind: 'STORAGE_DAYS', days: onSale.days, dailyStorageRatePerUnit: onSale.dailyStorageRatePerUnit.toFixedString() }
            : { kind: 'PERCENT_OF_PROCEEDS', percent: rate(onSale.percent) },
      perDraw: terms.feeSchedule.perDraw?.toFixedString() ?? null,
    },
    maxMarkAgeHours: terms.maxMarkAgeHours,
    marginCallLtv: rate(terms.marginCallLtv),
    liquidationLtv: rate(terms.liquidationLtv),
    targetLtv: rate(terms.targetLtv),
    curePeriodHours: terms.curePeriodHours,
    stockCountIntervalDays: terms.stockCountIntervalDays,
    maturityDate: terms.maturityDate,
    approvalThresholds: {
      autoApproveUpTo: terms.approvalThresholds.autoApproveUpTo.toFixedString(),
      singleApproverUpTo: terms.approvalThresholds.singleApproverUpTo.toFixedString(),
    },
    approvalWindowHours: terms.approvalWindowHours,
    waterfallOrder: [...terms.waterfallOrder],
  };
}

function lineSnapshot(line: CreditLineRecord) {
  return {
    lenderOrganisationId: line.lenderOrganisationId,
    sellerOrganisationId: line.sellerOrganisationId,
    status: line.status,
    terms: creditTermsAsJson(line.terms),
  };
}
