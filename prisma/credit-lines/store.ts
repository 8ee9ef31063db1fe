/**
 * Credit lines: a lender's offer of a line with its ledger accounts, the
 * seller's acceptance (or refusal), reading the lines an organisation is party
 * to, and the status changes a lender makes (withdraw an offer, freeze,
 * unfreeze, close). Which party may make which change is domain/credit-line-status.ts. Amounts owed are never stored on the line: they are the
 * balances of the line's ledger account set (account set id = line id).
 */
import type { Decimal } from 'decimal.js';
import { concentrationLimitsOf, validateCreditTerms, type CreditTerms, type DayCount, type OnSaleFee, type WaterfallBucket } from '../../domain/credit-terms';
import { decideStatusChange, type CreditLineStatus, type StatusChange } from '../../domain/credit-line-status';
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError, assert } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import { NO_DELINQUENCY_TERMS, type DelinquencyTerms } from '../../domain/delinquency';
import { recordEvent } from '../events/store';
import { recordAudit, type AuditActor } from '../audit/store';
import type { Db, Prisma } from '../client';
import type { OrganisationKind, UserRole } from '../generated/client';
import { balances, createAccountSet, type AccountDefinition } from '../ledger/store';
import { recordFirstVersion, requireUsableFloatingRate } from './terms-versions';

export type { CreditLineStatus, StatusChange };

export interface CreditLineRecord {
  id: string;
  lenderOrganisationId: string;
  sellerOrganisationId: string;
  status: CreditLineStatus;
  terms: CreditTerms;
  /** Warehouses the lender accepts as collateral managers for this line: goods elsewhere are ineligible. */
  approvedWarehouseIds: string[];
  acceptedAt: Date | null;
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

/**
 * Default interest earned (prisma/accrual/default-interest.ts): Dr INTEREST_RECEIVABLE / Cr DEFAULT_INTEREST_INCOME.
 * Created for a line the first time it is charged default interest, so that lines that never are keep their set.
 */
export const DEFAULT_INTEREST_ACCOUNT = { code: 'DEFAULT_INTEREST_INCOME', name: 'Default interest earned', type: 'INCOME', normalBalance: 'CREDIT', mustNotGoNegative: false } as const satisfies AccountDefinition;

// ─── Opening ─────────────────────────────────────────────────────────────────

export function requireLenderAdmin(actor: LineActor): void {
  if (actor.organisationKind !== 'LENDER' || actor.role !== 'ADMIN') {
    throw new ForbiddenError(`only an ADMIN of a LENDER organisation can offer credit lines; you are ${actor.role} of a ${actor.organisationKind}`);
  }
}

/**
 * Offers a line from the actor's lender organisation to one of its SELLER
 * counterparts, with its ledger account set, in the caller's transaction. The
 * line is OFFERED: nothing works on it until the seller accepts. `terms` must
 * already be consistent (the API edge reports every problem to the client
 * first); every approved warehouse must be operated by one of the lender's
 * WAREHOUSE counterparts.
 */
export async function offerCreditLine(
  db: Db,
  actor: LineActor,
  input: { sellerOrganisationId: string; terms: CreditTerms; approvedWarehouseIds: string[] },
): Promise<CreditLineRecord> {
  requireLenderAdmin(actor);
  const problems = validateCreditTerms(input.terms);
  assert(problems.length === 0, `credit terms are checked before a line is offered; found ${JSON.stringify(problems)}`);
  await requireSellerCounterpart(db, actor.organisationId, input.sellerOrganisationId);
  const approvedWarehouseIds = [...new Set(input.approvedWarehouseIds)].sort();
  await requireWarehouseCounterparts(db, actor.organisationId, approvedWarehouseIds);
  const row = await db.creditLine.create({
    data: {
      lenderOrganisationId: actor.organisationId,
      sellerOrganisationId: input.sellerOrganisationId,
      status: 'OFFERED',
      ...termsColumns(input.terms),
      advanceRates: { create: advanceRateRows(input.terms) },
      approvedWarehouses: { create: approvedWarehouseIds.map((warehouseId) => ({ warehouseId })) },
    },
    include: LINE_INCLUDE,
  });
  await createAccountSet(db, { accountSetId: row.id, currency: row.currency, accounts: [...LINE_ACCOUNTS] });
  const line = creditLineFromRow(row);
  await requireUsableFloatingRate(db, actor.organisationId, line.terms.floatingRate, line.createdAt.toISOString().slice(0, 10));
  await recordFirstVersion(db, line, actor.userId);
  await recordAudit(db, actor, { action: 'credit_line.offer', targetType: 'credit_line', targetId: line.id, after: lineSnapshot(line) });
  // The seller's own feed shows the offer it is asked to accept.
  await recordAudit(db, { ...actor, organisationId: line.sellerOrganisationId }, { action: 'credit_line.offer', targetType: 'credit_line', targetId: line.id, after: lineSnapshot(line) });
  return line;
}

/** A lender offers lines only to sellers it onboarded; to anyone else the organisation is not a seller of its. */
async function requireSellerCounterpart(db: Db, lenderOrganisationId: string, organisationId: string): Promise<void> {
  const [relation] = await db.counterpart.findMany({ where: { lenderOrganisationId, counterpartOrganisationId: organisationId } });
  if (!relation) {
    throw new BusinessRuleError(
      'seller_not_counterpart',
      `organisation ${organisationId} is not a seller you onboarded; a lender offers credit lines only to its own SELLER counterparts (register them with POST /organisations)`, 'body.sellerOrganisationId',
    );
  }
  if (relation.counterpartKind !== 'SELLER') {
    throw new BusinessRuleError('seller_organisation_required', `organisation ${organisationId} is a ${relation.counterpartKind}; a credit line is offered to a SELLER organisation`, 'body.sellerOrganisationId');
  }
}

/** Each approved warehouse exists and is operated by one of the lender's WAREHOUSE counterparts. */
export async function requireWarehouseCounterparts(db: Db, lenderOrganisationId: string, warehouseIds: string[]): Promise<void> {
  if (warehouseIds.length === 0) return;
  const warehouses = await db.warehouse.findMany({ where: { id: { in: warehouseIds } }, select: { id: true, organisationId: true } });
  const operators = await db.counterpart.findMany({
    where: { lenderOrganisationId, counterpartKind: 'WAREHOUSE', counterpartOrganisationId: { in: warehouses.map((w) => w.organisationId) } },
  });
  const acceptedOperators = new Set(operators.map((operator) => operator.counterpartOrganisationId));
  const operatorOf = new Map(warehouses.map((warehouse) => [warehouse.id, warehouse.organisationId]));
  const refused = warehouseIds.filter((id) => !acceptedOperators.has(operatorOf.get(id) ?? ''));
  if (refused.length > 0) {
    throw new BusinessRuleError(
      'warehouse_not_counterpart',
      `terms.approvedWarehouseIds: warehouse(s) ${refused.join(', ')} are not operated by a warehouse you onboarded as collateral manager; ` +
        'a lender approves only warehouses of its own WAREHOUSE counterparts', 'body.terms.approvedWarehouseIds',
    );
  }
}

// ─── Reading ─────────────────────────────────────────────────────────────────

const partyTo = (organisationId: string) => ({ OR: [{ lenderOrganisationId: organisationId }, { sellerOrganisationId: organisationId }] });

/** The line, if `organisationId` is its lender or seller; to anyone else it does not exist. */
export async function creditLineVisibleTo(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  const row = await db.creditLine.findFirst({ where: { id: lineId, ...partyTo(organisationId) }, include: LINE_INCLUDE });
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
    include: LINE_INCLUDE,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.limit,
    // Prisma compares the cursor row's own column values in SQL, so microsecond timestamps page exactly.
    ...(page.afterLineId ? { cursor: { id: page.afterLineId }, skip: 1 } : {}),
  });
  return rows.map(creditLineFromRow);
}

/**
 * Ids of the lines `organisationId` is lender or seller on, narrowed to `onlyLineId` when given
 * (a line the organisation is not party to gives none: a filter never widens what it may see).
 */
export async function lineIdsPartyTo(db: Db, organisationId: string, onlyLineId?: string): Promise<string[]> {
  const rows = await db.creditLine.findMany({ where: { ...partyTo(organisationId), ...(onlyLineId ? { id: onlyLineId } : {}) }, select: { id: true } });
  return rows.map((row) => row.id);
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

/** The seller accepts an offer: the line becomes ACTIVE. */
export const acceptCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'accept', now);
/** The seller declines an offer; it stays on record, DECLINED. */
export const declineCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'decline', now);
/** The lender withdraws an offer the seller has not accepted. */
export const withdrawCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'withdraw', now);
/** Stops new draws; collections and accrual go on. */
export const freezeCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'freeze', now);
export const unfreezeCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'unfreeze', now);
/** Only once the ledger shows nothing owed: no principal, interest or fees. */
export const closeCreditLine = (db: Db, actor: LineActor, lineId: string, now: Date) => changeStatus(db, actor, lineId, 'close', now);

async function changeStatus(db: Db, actor: LineActor, lineId: string, change: StatusChange, now: Date): Promise<CreditLineRecord> {
  const line = await lockCreditLineVisibleTo(db, actor.organisationId, lineId);
  const party = actor.organisationId === line.lenderOrganisationId ? 'LENDER' : 'SELLER';
  const decision = decideStatusChange(change, line.status, party, actor.role);
  if (!decision.allowed && decision.refusal === 'forbidden') throw new ForbiddenError(`credit line ${line.id}: ${decision.reason}`);
  if (!decision.allowed) throw new ConflictError(`credit line ${line.id} ${decision.reason}`);
  if (change === 'close') await requireNothingOutstanding(db, line);
  const row = await db.creditLine.update({
    where: { id: line.id },
    data: { status: decision.to, ...(change === 'accept' ? { acceptedAt: now } : {}) },
    include: LINE_INCLUDE,
  });
  const changed = creditLineFromRow(row);
  const audit = { action: `credit_line.${change}`, targetType: 'credit_line', targetId: line.id, before: { status: line.status }, after: { status: changed.status } };
  await recordAudit(db, actor, audit);
  // Offers are between two organisations: each one's feed shows what the other decided.
  if (change === 'accept' || change === 'decline' || change === 'withdraw') {
    const other = party === 'LENDER' ? line.sellerOrganisationId : line.lenderOrganisationId;
    await recordAudit(db, { ...actor, organisationId: other }, audit);
  }
  await recordEvent(db, 'credit_line.status_changed', {
    subjectId: line.id,
    parties: [line.lenderOrganisationId, line.sellerOrganisationId],
    requestId: actor.requestId,
    data: { creditLineId: line.id, from: line.status, to: changed.status, change },
  });
  return changed;
}

/** Locks the line's row for the rest of the transaction, so that status checks and changes cannot interleave. */
async function lockCreditLineVisibleTo(db: Db, organisationId: string, lineId: string): Promise<CreditLineRecord> {
  await db.$queryRaw`SELECT id FROM credit_line WHERE id = ${lineId}::uuid FOR UPDATE`;
  return creditLineVisibleTo(db, organisationId, lineId);
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

// ─── Rows ⇄ domain ───────────────────────────────────────────────────────────

export const LINE_INCLUDE = { advanceRates: true, approvedWarehouses: true } as const;

export type CreditLineRow = Prisma.CreditLineGetPayload<{ include: typeof LINE_INCLUDE }>;

export function termsColumns(terms: CreditTerms) {
  const { onSale, perDraw } = terms.feeSchedule;
  const floating = terms.floatingRate ?? null;
  return {
    referenceRateId: floating?.referenceRateId ?? null,
    rateSpread: floating?.spread.toFixed() ?? null,
    rateFloor: floating?.floor?.toFixed() ?? null,
    currency: terms.currency,
    limitAmount: terms.limit.amount.toFixed(),
    defaultAdvanceRate: terms.defaultAdvanceRate.toFixed(),
    haircut: terms.haircut.toFixed(),
    annualInterestRate: terms.annualInterestRate.toFixed(),
    dayCount: terms.dayCount,
    onSaleFeeKind: onSale?.kind ?? null,
    onSaleFeeStorageDays: onSale?.kind === 'STORAGE_DAYS' ? onSale.days : null,
    onSaleFeeDailyRatePerUnit: onSale?.kind === 'STORAGE_DAYS' ? onSale.dailyStorageRatePerUnit.amount.toFixed() : null,
    onSaleFeeUnit: onSale?.kind === 'STORAGE_DAYS' ? onSale.unit : null,
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
    concentrationLimitCommodity: concentrationLimitsOf(terms).commodity?.toFixed() ?? null,
    concentrationLimitWarehouse: concentrationLimitsOf(terms).warehouse?.toFixed() ?? null,
    concentrationLimitLot: concentrationLimitsOf(terms).lot?.toFixed() ?? null,
    ...delinquencyColumns(terms.delinquency ?? NO_DELINQUENCY_TERMS),
    interestBillingDayOfMonth: terms.interestBilling?.dayOfMonth ?? null,
    interestBillingDueAfterDays: terms.interestBilling?.dueAfterDays ?? null,
  };
}

function delinquencyColumns(delinquency: DelinquencyTerms) {
  return {
    gracePeriodDays: delinquency.gracePeriodDays,
    defaultInterestSpread: delinquency.defaultInterestSpread.toFixed(),
    defaultAfterDaysPastDue: delinquency.defaultAfterDaysPastDue,
  };
}

function advanceRateRows(terms: CreditTerms) {
  return Object.entries(terms.advanceRatesByCommodity).map(([commodityCode, rate]) => ({ commodityCode, advanceRate: rate.toFixed() }));
}

/** NUMERIC read back through its plain text, so no binary float ever holds it. */
const decimalOf = (value: Prisma.Decimal): Decimal => new D(value.toFixed());

export function creditLineFromRow(row: CreditLineRow): CreditLineRecord {
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
      floatingRate:
        row.referenceRateId === null || row.rateSpread === null
          ? null
          : { referenceRateId: row.referenceRateId, spread: decimalOf(row.rateSpread), floor: row.rateFloor === null ? null : decimalOf(row.rateFloor) },
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
      delinquency: { gracePeriodDays: row.gracePeriodDays, defaultInterestSpread: decimalOf(row.defaultInterestSpread), defaultAfterDaysPastDue: row.defaultAfterDaysPastDue },
      interestBilling:
        row.interestBillingDayOfMonth === null || row.interestBillingDueAfterDays === null
          ? null
          : { dayOfMonth: row.interestBillingDayOfMonth, dueAfterDays: row.interestBillingDueAfterDays },
      concentrationLimits: {
        commodity: row.concentrationLimitCommodity === null ? null : decimalOf(row.concentrationLimitCommodity),
        warehouse: row.concentrationLimitWarehouse === null ? null : decimalOf(row.concentrationLimitWarehouse),
        lot: row.concentrationLimitLot === null ? null : decimalOf(row.concentrationLimitLot),
      },
    },
    approvedWarehouseIds: row.approvedWarehouses.map((approved) => approved.warehouseId).sort(),
    acceptedAt: row.acceptedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function onSaleFeeFromRow(row: CreditLineRow): OnSaleFee | null {
  if (row.onSaleFeeKind === null) return null;
  if (row.onSaleFeeKind === 'STORAGE_DAYS') {
    assert(row.onSaleFeeStorageDays !== null && row.onSaleFeeDailyRatePerUnit !== null && row.onSaleFeeUnit !== null, `line ${row.id}'s storage-days fee has days, a rate and its unit`);
    return { kind: 'STORAGE_DAYS', days: row.onSaleFeeStorageDays, dailyStorageRatePerUnit: Money.of(row.onSaleFeeDailyRatePerUnit.toFixed(), row.currency), unit: row.onSaleFeeUnit };
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
  floatingRate: { referenceRateId: string; spread: string; floor: string | null } | null;
  dayCount: DayCount;
  feeSchedule: {
    onSale: { kind: 'STORAGE_DAYS'; days: number; dailyStorageRatePerUnit: string; unit: string } | { kind: 'PERCENT_OF_PROCEEDS'; percent: string } | null;
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
  delinquency: DelinquencyTermsJson;
  concentrationLimits: { commodity: string | null; warehouse: string | null; lot: string | null };
  interestBilling: { dayOfMonth: number; dueAfterDays: number } | null;
};

export type DelinquencyTermsJson = { gracePeriodDays: number; defaultInterestSpread: string; defaultAfterDaysPastDue: number | null };

export function delinquencyTermsAsJson(delinquency: DelinquencyTerms | null | undefined): DelinquencyTermsJson {
  const terms = delinquency ?? NO_DELINQUENCY_TERMS;
  return { gracePeriodDays: terms.gracePeriodDays, defaultInterestSpread: terms.defaultInterestSpread.toFixed(), defaultAfterDaysPastDue: terms.defaultAfterDaysPastDue };
}

export function delinquencyTermsFromJson(json: DelinquencyTermsJson | null | undefined): DelinquencyTerms {
  return json ? { gracePeriodDays: json.gracePeriodDays, defaultInterestSpread: new D(json.defaultInterestSpread), defaultAfterDaysPastDue: json.defaultAfterDaysPastDue } : NO_DELINQUENCY_TERMS;
}

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
    floatingRate: terms.floatingRate
      ? { referenceRateId: terms.floatingRate.referenceRateId, spread: rate(terms.floatingRate.spread), floor: terms.floatingRate.floor?.toFixed() ?? null }
      : null,
    dayCount: terms.dayCount,
    feeSchedule: {
      onSale:
        onSale === null
          ? null
          : onSale.kind === 'STORAGE_DAYS'
            ? { kind: 'STORAGE_DAYS', days: onSale.days, dailyStorageRatePerUnit: onSale.dailyStorageRatePerUnit.toFixedString(), unit: onSale.unit }
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
    delinquency: delinquencyTermsAsJson(terms.delinquency),
    concentrationLimits: concentrationLimitsAsJson(terms),
    interestBilling: terms.interestBilling ? { dayOfMonth: terms.interestBilling.dayOfMonth, dueAfterDays: terms.interestBilling.dueAfterDays } : null,
  };
}

function concentrationLimitsAsJson(terms: CreditTerms): NonNullable<CreditTermsJson['concentrationLimits']> {
  const limits = concentrationLimitsOf(terms);
  return { commodity: limits.commodity?.toFixed() ?? null, warehouse: limits.warehouse?.toFixed() ?? null, lot: limits.lot?.toFixed() ?? null };
}

/** What a terms version stored: versions stored before concentration limits or interest billing existed have none. */
export type StoredCreditTermsJson = Omit<CreditTermsJson, 'concentrationLimits' | 'interestBilling'> & Partial<Pick<CreditTermsJson, 'concentrationLimits' | 'interestBilling'>>;

/** The inverse of creditTermsAsJson: what a terms version stores, read back. */
export function creditTermsFromJson(json: Omit<StoredCreditTermsJson, 'delinquency'> & { delinquency?: DelinquencyTermsJson }): CreditTerms {
  const money = (amount: string) => Money.of(amount, json.currency);
  const onSale = json.feeSchedule.onSale;
  return {
    currency: json.currency,
    limit: money(json.limit),
    defaultAdvanceRate: new D(json.defaultAdvanceRate),
    advanceRatesByCommodity: Object.fromEntries(Object.entries(json.advanceRatesByCommodity).map(([code, value]) => [code, new D(value)])),
    haircut: new D(json.haircut),
    annualInterestRate: new D(json.annualInterestRate),
    floatingRate: json.floatingRate
      ? { referenceRateId: json.floatingRate.referenceRateId, spread: new D(json.floatingRate.spread), floor: json.floatingRate.floor === null ? null : new D(json.floatingRate.floor) }
      : null,
    dayCount: json.dayCount,
    feeSchedule: {
      onSale:
        onSale === null
          ? null
          : onSale.kind === 'STORAGE_DAYS'
            ? { kind: 'STORAGE_DAYS', days: onSale.days, dailyStorageRatePerUnit: money(onSale.dailyStorageRatePerUnit), unit: onSale.unit }
            : { kind: 'PERCENT_OF_PROCEEDS', percent: new D(onSale.percent) },
      perDraw: json.feeSchedule.perDraw === null ? null : money(json.feeSchedule.perDraw),
    },
    maxMarkAgeHours: json.maxMarkAgeHours,
    marginCallLtv: new D(json.marginCallLtv),
    liquidationLtv: new D(json.liquidationLtv),
    targetLtv: new D(json.targetLtv),
    curePeriodHours: json.curePeriodHours,
    stockCountIntervalDays: json.stockCountIntervalDays,
    maturityDate: json.maturityDate,
    approvalThresholds: { autoApproveUpTo: money(json.approvalThresholds.autoApproveUpTo), singleApproverUpTo: money(json.approvalThresholds.singleApproverUpTo) },
    approvalWindowHours: json.approvalWindowHours,
    waterfallOrder: json.waterfallOrder,
    // Absent from versions written before delinquency terms existed.
    delinquency: delinquencyTermsFromJson(json.delinquency),
    concentrationLimits: {
      commodity: json.concentrationLimits?.commodity == null ? null : new D(json.concentrationLimits.commodity),
      warehouse: json.concentrationLimits?.warehouse == null ? null : new D(json.concentrationLimits.warehouse),
      lot: json.concentrationLimits?.lot == null ? null : new D(json.concentrationLimits.lot),
    },
    // Absent from versions written before interest billing existed: interest due at maturity.
    interestBilling: json.interestBilling ? { dayOfMonth: json.interestBilling.dayOfMonth, dueAfterDays: json.interestBilling.dueAfterDays } : null,
  };
}

function lineSnapshot(line: CreditLineRecord) {
  return {
    lenderOrganisationId: line.lenderOrganisationId,
    sellerOrganisationId: line.sellerOrganisationId,
    status: line.status,
    terms: creditTermsAsJson(line.terms),
    approvedWarehouseIds: line.approvedWarehouseIds,
  };
}
