/**
 * Sales, repayments and seller payouts: the rows that say why money moved, and
 * the ledger entries that move it, written together in the caller's
 * transaction. Rules (pricing, fee, overpayment, waterfall) are in
 * domain/sales.ts; this file reads and writes.
 *
 * Ledger postings in the line's account set (account set id = line id):
 *
 *   fee on sale (with the sale's first payment, key sale:<id>:fee-on-sale)
 *       Dr FEES_RECEIVABLE  / Cr FEE_INCOME
 *   buyer's payment or the seller's direct repayment (key repayment:<id>), one balanced entry
 *       Dr COLLECTION (amount) / Cr FEES_RECEIVABLE, INTEREST_RECEIVABLE, LOAN_PRINCIPAL
 *                                (each as the waterfall splits it), SELLER_PAYABLE (the rest)
 *   payout to the seller (key seller-payout:<id>)
 *       Dr SELLER_PAYABLE / Cr COLLECTION
 *
 * What is owed is read from the ledger at the moment of posting: fees =
 * FEES_RECEIVABLE, interest = INTEREST_RECEIVABLE, principal = LOAN_PRINCIPAL.
 * Every path that posts to a line locks the credit_line row first, so two
 * payments on one line split against the balances the other left; rows are
 * locked in the order of prisma/locks.ts (line → lots → sale).
 */
import { randomUUID } from 'node:crypto';
import type { Decimal } from 'decimal.js';
import { requireFreeQuantity } from '../../domain/custody';
import { BusinessRuleError, ForbiddenError, NotFoundError, ValidationError, assert, requireCurrency } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import {
  checkDirectRepayment,
  checkSalePayment,
  checkSellerPayout,
  priceSale,
  saleFee,
  splitRepayment,
  type SaleItemInput,
  type SalePrice,
} from '../../domain/sales';
import type { WaterfallAllocation } from '../../domain/waterfall';
import { recordAudit, type AuditActor } from '../audit/store';
import type { Db, Prisma } from '../client';
import { creditLineVisibleTo, lineOutstanding, type CreditLineRecord, type LineAccountCode } from '../credit-lines/store';
import type { OrganisationKind, Repayment, Sale, SaleItem, SaleStatus, SellerPayout, UserRole } from '../generated/client';
import { lineCoverage, requireCoverageAfter } from '../custody/coverage';
import { refuseUncoveredReservations } from '../draws/store';
import { lotFreeQuantity } from '../custody/reservations';
import { balances, postEntry } from '../ledger/store';
import { lockLines, lockLots, lockSales } from '../locks';
import { lineOpened, requireCashValueDate, requireMoneyExisted } from './value-dates';
import { recordEvent } from '../events/store';
import { quantityOf } from '../../domain/events';

export const SALES_PAGE_MAX = 200;
export const SALE_WORKFLOW_TYPE = 'saleSettlement';

export interface SalesActor extends AuditActor {
  organisationKind: OrganisationKind;
  role: UserRole;
}

export type SaleWithItems = Sale & { items: SaleItem[] };

/** Sales whose goods are spoken for: sold and not yet gone (OPEN, PAID, RELEASE_AUTHORISED). */
export const LIVE_SALE_STATUSES: readonly SaleStatus[] = ['OPEN', 'PAID', 'RELEASE_AUTHORISED'];

const dec = (value: Prisma.Decimal | string): Decimal => new D(value.toString());
export const saleWorkflowId = (saleId: string) => `sale-${saleId}`;

// ─── Reporting a sale ────────────────────────────────────────────────────────

export interface ReportSaleInput {
  buyerOrganisationId: string;
  /** The price's currency, and the request field that carried it (`body.pricePerUnit.currency` or `body.totalPrice.currency`). */
  currency: string;
  currencyField?: string;
  /** The unit of each item's quantity as sent, in the order of items (each must be its lot's unit). */
  itemUnits?: string[];
  items: SaleItemInput[];
  pricePerUnit?: Decimal;
  /** The unit a price per unit is per (every lot sold must be in it). */
  pricePerUnitUnit?: string;
  totalPrice?: Decimal;
  /** 'YYYY-MM-DD' */
  paymentDueDate: string;
  /** 'YYYY-MM-DD': the due date may not be earlier. */
  today: string;
  /** The request's clock: the line's coverage is read as of it. */
  now: Date;
}

/** The line's seller reports a sale of goods pledged to the line. */
export async function reportSale(db: Db, actor: SalesActor, lineId: string, input: ReportSaleInput): Promise<SaleWithItems> {
  const line = await lockLineVisibleTo(db, actor, lineId);
  if (actor.organisationId !== line.sellerOrganisationId) throw new ForbiddenError("only the line's seller reports a sale of goods pledged to it");
  requireActingRole(actor, 'report a sale');
  if (line.status !== 'ACTIVE' && line.status !== 'FROZEN') {
    throw new BusinessRuleError('credit_line_not_open', `credit line ${line.id} is ${line.status}; sales are reported on an ACTIVE or FROZEN line`);
  }
  requireCurrency(input.currencyField ?? 'currency', input.currency, line.terms.currency);
  if (input.paymentDueDate < input.today) throw new ValidationError('body.paymentDueDate', `is ${input.paymentDueDate}, before today (${input.today})`);
  await requireBuyer(db, input.buyerOrganisationId);
  const price = salePrice(input, line.terms.currency);
  const priced = priceSale(input.items, price);
  const units = await lockSellableLots(db, line, input.items);
  input.items.forEach((item, index) => {
    const unit = units.get(item.lotId);
    if (input.itemUnits !== undefined && input.itemUnits[index] !== unit) throw new ValidationError(`body.items.${index}.quantity.unit`, `is ${input.itemUnits[index]}; lot ${item.lotId} is held in ${unit}`);
    if (input.pricePerUnitUnit !== undefined && input.pricePerUnitUnit !== unit) {
      throw new ValidationError('body.pricePerUnit.unit', `is ${input.pricePerUnitUnit}; lot ${item.lotId} is held in ${unit}, so a price per unit is per ${unit}`);
    }
  });
  const onSale = line.terms.feeSchedule.onSale;
  if (onSale?.kind === 'STORAGE_DAYS') {
    input.items.forEach((item, index) => {
      const unit = units.get(item.lotId);
      if (unit !== onSale.unit) {
        throw new BusinessRuleError(
          'unit_not_convertible',
          `lot ${item.lotId} is held in ${unit}; the line's storage fee is ${onSale.dailyStorageRatePerUnit.toFixedString()} ${onSale.dailyStorageRatePerUnit.currency} per ${onSale.unit} per day, and no conversion from ${unit} is defined`,
          `body.items.${index}.quantity.unit`,
        );
      }
    });
  }
  // Sold goods secure the line at the lower of the mark and the sale price: a sale is a voluntary
  // change that may not leave the line short (prisma/custody/coverage.ts), checked under the line's lock.
  const coverageBefore = await lineCoverage(db, line.id, input.now);
  const fee = saleFee(line.terms.feeSchedule.onSale, priced);
  const saleId = randomUUID();
  const sale = await db.sale.create({
    data: {
      id: saleId,
      creditLineId: line.id,
      sellerOrganisationId: line.sellerOrganisationId,
      buyerOrganisationId: input.buyerOrganisationId,
      currency: line.terms.currency,
      totalPrice: priced.totalPrice.amount.toFixed(),
      feeOnSale: fee.amount.toFixed(),
      paymentDueDate: new Date(`${input.paymentDueDate}T00:00:00Z`),
      workflowId: saleWorkflowId(saleId),
      reportedByUserId: actor.userId,
      items: {
        create: input.items.map((item) => ({
          lotId: item.lotId,
          quantity: item.quantity.toFixed(),
          unit: units.get(item.lotId)!,
          pricePerUnit: priced.pricePerUnit.toDecimalPlaces(18).toFixed(),
        })),
      },
    },
    include: { items: true },
  });
  await requireCoverageAfter(db, coverageBefore, 'sale', input.now);
  await recordAudit(db, actor, {
    action: 'sale.reported',
    targetType: 'sale',
    targetId: sale.id,
    after: {
      creditLineId: line.id,
      buyerOrganisationId: sale.buyerOrganisationId,
      totalPrice: priced.totalPrice.toFixedString(),
      feeOnSale: fee.toFixedString(),
      paymentDueDate: input.paymentDueDate,
      items: input.items.map((item) => ({ lotId: item.lotId, quantity: item.quantity.toFixed() })),
    },
  });
  await recordEvent(db, 'sale.reported', {
    subjectId: sale.id,
    parties: [line.lenderOrganisationId, line.sellerOrganisationId, sale.buyerOrganisationId],
    requestId: actor.requestId,
    data: {
      saleId: sale.id,
      creditLineId: line.id,
      buyerOrganisationId: sale.buyerOrganisationId,
      totalPrice: priced.totalPrice.toJSON(),
      feeOnSale: fee.toJSON(),
      paymentDueDate: input.paymentDueDate,
      items: sale.items.map((item) => ({ lotId: item.lotId, quantity: quantityOf(item.quantity, item.unit) })),
    },
  });
  return sale;
}

function salePrice(input: ReportSaleInput, currency: string): SalePrice {
  if ((input.pricePerUnit === undefined) === (input.totalPrice === undefined)) {
    throw new ValidationError('body', 'give exactly one of pricePerUnit and totalPrice');
  }
  return input.pricePerUnit !== undefined ? { pricePerUnit: Money.of(input.pricePerUnit, currency) } : { totalPrice: Money.of(input.totalPrice!, currency) };
}

async function requireBuyer(db: Db, organisationId: string): Promise<void> {
  const buyer = await db.organisation.findUnique({ where: { id: organisationId } });
  if (!buyer || buyer.kind !== 'BUYER') {
    throw new BusinessRuleError('buyer_organisation_required', `organisation ${organisationId} ${buyer ? `is a ${buyer.kind}` : 'does not exist'}; a sale names a registered BUYER organisation`, 'body.buyerOrganisationId');
  }
}

/**
 * Locks the lots (in id order, after the line: prisma/locks.ts) and checks each
 * is pledged to this line and that the quantity sold fits its free quantity
 * (what live sales sold and open release orders authorised are reserved).
 * Returns each lot's unit.
 */
async function lockSellableLots(db: Db, line: CreditLineRecord, items: readonly SaleItemInput[]): Promise<Map<string, string>> {
  const units = new Map<string, string>();
  const locked = new Set(await lockLots(db, items.map((item) => item.lotId)));
  for (const item of [...items].sort((a, b) => (a.lotId < b.lotId ? -1 : 1))) {
    const lien = locked.has(item.lotId) ? await db.lien.findFirst({ where: { lotId: item.lotId, releasedAt: null } }) : null;
    const lot = lien ? await db.lot.findUnique({ where: { id: item.lotId } }) : null;
    if (!lot || lien?.creditLineId !== line.id || lot.sellerOrganisationId !== line.sellerOrganisationId) {
      throw new BusinessRuleError('lot_not_pledged_to_line', `lot ${item.lotId} is not one of your lots pledged to credit line ${line.id}; a sale names goods pledged to the line`, `body.items.${items.indexOf(item)}.lotId`);
    }
    requireFreeQuantity({ free: await lotFreeQuantity(db, lot), quantityRequested: item.quantity, unit: lot.unit, what: `a sale of lot ${lot.receiptNumber}`, field: `body.items.${items.indexOf(item)}.quantity` });
    units.set(item.lotId, lot.unit);
  }
  return units;
}

// ─── Reading ─────────────────────────────────────────────────────────────────

/** A sale is visible to the line's lender, its seller and its buyer; to anyone else it does not exist. */
export async function saleVisibleTo(db: Db, organisationId: string, saleId: string): Promise<SaleWithItems> {
  const sale = await db.sale.findUnique({ where: { id: saleId }, include: { items: { orderBy: { lotId: 'asc' } } } });
  if (!sale) throw new NotFoundError('sale', saleId);
  if (sale.sellerOrganisationId === organisationId || sale.buyerOrganisationId === organisationId) return sale;
  const line = await db.creditLine.findUnique({ where: { id: sale.creditLineId }, select: { lenderOrganisationId: true } });
  if (line?.lenderOrganisationId !== organisationId) throw new NotFoundError('sale', saleId);
  return sale;
}

/** Sales on a line the organisation is party to, newest first. */
export async function salesOfLine(db: Db, organisationId: string, lineId: string, page: { afterSaleId: string | null; limit: number }): Promise<SaleWithItems[]> {
  await creditLineVisibleTo(db, organisationId, lineId);
  return db.sale.findMany({
    where: { creditLineId: lineId },
    include: { items: { orderBy: { lotId: 'asc' } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(page.limit, SALES_PAGE_MAX),
    ...(page.afterSaleId ? { cursor: { id: page.afterSaleId }, skip: 1 } : {}),
  });
}

/** Payments of a sale (whose visibility the caller checked), oldest first: at most `limit`, after the payment `afterId`. */
export async function repaymentsOfSale(db: Db, saleId: string, page: { afterId: string | null; limit: number }): Promise<Repayment[]> {
  if (page.afterId !== null) {
    // A cursor from another sale (or a payment that does not exist) is refused, not silently restarted.
    const after = await db.repayment.findUnique({ where: { id: page.afterId }, select: { saleId: true } });
    if (after?.saleId !== saleId) throw new ValidationError('query.cursor', 'is not a position in the payments of this sale');
  }
  return db.repayment.findMany({
    where: { saleId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: page.limit,
    ...(page.afterId !== null ? { cursor: { id: page.afterId }, skip: 1 } : {}),
  });
}

// ─── Payments and repayments ─────────────────────────────────────────────────

export interface CashReceived {
  amount: Decimal;
  /** The currency the amount was sent in (`body.amount.currency`): it must be the line's. */
  currency: string;
  /** 'YYYY-MM-DD': the ledger entry's effective date (see ./value-dates.ts). */
  receivedOn: string;
  reference?: string;
  /** 'YYYY-MM-DD', the caller's clock: no value date after it. */
  today: string;
}

export interface RecordedRepayment {
  repayment: Repayment;
  allocation: WaterfallAllocation;
  /** The sale after the payment (buyer payments only). */
  sale: SaleWithItems | null;
  /** True when this payment completed the sale. */
  saleFullyPaid: boolean;
}

/**
 * The lender records a buyer's payment for a sale, received in the line's collection account.
 * The paid share of the goods leaves the borrowing base while the cash runs through the
 * waterfall; cash that arrived cannot be refused, so when the line can then no longer cover its
 * reserved draws, those it does not cover are refused (prisma/draws/store.ts
 * refuseUncoveredReservations), as of `now`, the request's clock.
 */
export async function recordSalePayment(db: Db, actor: SalesActor, saleId: string, input: CashReceived & { now: Date }): Promise<RecordedRepayment> {
  const visible = await saleVisibleTo(db, actor.organisationId, saleId);
  const line = await lockLineVisibleTo(db, actor, visible.creditLineId);
  requireLenderOperator(actor, line, 'record a payment for a sale');
  await lockSales(db, [saleId]);
  const sale = await db.sale.findUniqueOrThrow({ where: { id: saleId }, include: { items: true } });
  if (sale.status !== 'OPEN') {
    throw new BusinessRuleError('sale_not_open', `sale ${saleId} is ${sale.status}; payments are recorded only for an OPEN sale`);
  }
  const currency = sale.currency;
  requireCurrency('body.amount.currency', input.currency, currency, `sale ${saleId}`);
  requireCashValueDate('body.receivedOn', input.receivedOn, input.today, [lineOpened(line), { date: utcDay(sale.createdAt), because: `sale ${saleId} was reported` }]);
  const payment = Money.of(input.amount, currency);
  const { fullyPaid } = checkSalePayment({ totalPrice: Money.of(dec(sale.totalPrice), currency), amountPaid: Money.of(dec(sale.amountPaid), currency) }, payment);
  const accounts = await lineAccountIds(db, line.id);
  const coverageBefore = await lineCoverage(db, line.id, input.now);
  const feeEntryId = sale.feeEntryId ?? (await chargeFeeOnSale(db, sale, accounts, input.receivedOn));
  const { repayment, allocation } = await applyCash(db, actor, line, accounts, { ...input, amount: payment, kind: 'SALE_PAYMENT', saleId });
  const updated = await db.sale.update({
    where: { id: saleId },
    data: {
      amountPaid: dec(sale.amountPaid).plus(payment.amount).toFixed(),
      feeEntryId,
      ...(fullyPaid ? { status: 'PAID', paidAt: new Date() } : {}),
    },
    include: { items: { orderBy: { lotId: 'asc' } } },
  });
  await refuseUncoveredReservations(db, {
    before: coverageBefore,
    now: input.now,
    cause: `the buyer's payment of ${payment.format()} for sale ${saleId} took the goods it paid for out of the borrowing base`,
    actor,
  });
  await recordAudit(db, actor, {
    action: 'sale.payment_recorded',
    targetType: 'sale',
    targetId: saleId,
    before: { amountPaid: dec(sale.amountPaid).toFixed(), status: sale.status },
    after: { amountPaid: dec(updated.amountPaid).toFixed(), status: updated.status, repaymentId: repayment.id },
  });
  if (fullyPaid) {
    await recordEvent(db, 'sale.paid', {
      subjectId: saleId,
      parties: [line.lenderOrganisationId, line.sellerOrganisationId, sale.buyerOrganisationId],
      requestId: actor.requestId,
      data: {
        saleId,
        creditLineId: line.id,
        totalPrice: Money.of(dec(sale.totalPrice), currency).toJSON(),
        amountPaid: Money.of(dec(updated.amountPaid), currency).toJSON(),
        completingRepaymentId: repayment.id,
      },
    });
  }
  return { repayment, allocation, sale: updated, saleFullyPaid: fullyPaid };
}

/** The lender records the seller repaying the line from its own funds: the same waterfall, no sale. */
export async function recordDirectRepayment(db: Db, actor: SalesActor, lineId: string, input: CashReceived): Promise<RecordedRepayment> {
  const line = await lockLineVisibleTo(db, actor, lineId);
  requireLenderOperator(actor, line, "record the seller's direct repayment");
  requireCurrency('body.amount.currency', input.currency, line.terms.currency);
  requireCashValueDate('body.receivedOn', input.receivedOn, input.today, [lineOpened(line)]);
  const payment = Money.of(input.amount, line.terms.currency);
  const owed = await owedOn(db, line);
  checkDirectRepayment(payment, owed);
  const accounts = await lineAccountIds(db, line.id);
  const { repayment, allocation } = await applyCash(db, actor, line, accounts, { ...input, amount: payment, kind: 'DIRECT_REPAYMENT', saleId: null });
  return { repayment, allocation, sale: null, saleFullyPaid: false };
}

/** The lender records paying out (part of) what the line owes the seller. */
export async function recordSellerPayout(
  db: Db,
  actor: SalesActor,
  lineId: string,
  input: { amount: Decimal; currency: string; paidOn: string; reference?: string; today: string },
): Promise<SellerPayout> {
  const line = await lockLineVisibleTo(db, actor, lineId);
  requireLenderOperator(actor, line, 'record a payout to the seller');
  requireCurrency('body.amount.currency', input.currency, line.terms.currency);
  requireCashValueDate('body.paidOn', input.paidOn, input.today, [lineOpened(line)]);
  const currency = line.terms.currency;
  const payout = Money.of(input.amount, currency);
  const accounts = await lineAccountIds(db, line.id);
  const sellerPayable = (await balances(db, { accountIds: [accounts.SELLER_PAYABLE] }))[0].balance;
  checkSellerPayout(payout, sellerPayable);
  await requireMoneyExisted(db, {
    field: 'body.paidOn', valueDate: input.paidOn, today: input.today, accountId: accounts.SELLER_PAYABLE, amount: payout,
    what: 'proceeds owed to the seller', earliest: [lineOpened(line)],
  });
  const payoutId = randomUUID();
  const entry = await postEntry(db, {
    idempotencyKey: `seller-payout:${payoutId}`,
    description: `Payout to the seller${input.reference ? ` (${input.reference})` : ''}`,
    effectiveDate: input.paidOn,
    accountSetId: line.id,
    metadata: { sellerPayoutId: payoutId },
    lines: [
      { accountId: accounts.SELLER_PAYABLE, side: 'DEBIT', amount: payout },
      { accountId: accounts.COLLECTION, side: 'CREDIT', amount: payout },
    ],
  });
  const row = await db.sellerPayout.create({
    data: {
      id: payoutId,
      creditLineId: line.id,
      amount: payout.amount.toFixed(),
      currency,
      paidOn: new Date(`${input.paidOn}T00:00:00Z`),
      reference: input.reference ?? null,
      entryId: entry.id,
      recordedByUserId: actor.userId,
    },
  });
  await recordAudit(db, actor, { action: 'seller_payout.recorded', targetType: 'seller_payout', targetId: payoutId, after: { creditLineId: line.id, amount: payout.toFixedString(), entryId: entry.id } });
  return row;
}

async function chargeFeeOnSale(db: Db, sale: Sale, accounts: LineAccountIds, effectiveDate: string): Promise<string | null> {
  const fee = Money.of(dec(sale.feeOnSale), sale.currency);
  if (fee.isZero()) return null;
  const entry = await postEntry(db, {
    idempotencyKey: `sale:${sale.id}:fee-on-sale`,
    description: `Fee on sale ${sale.id}`,
    effectiveDate,
    accountSetId: sale.creditLineId,
    metadata: { saleId: sale.id },
    lines: [
      { accountId: accounts.FEES_RECEIVABLE, side: 'DEBIT', amount: fee },
      { accountId: accounts.FEE_INCOME, side: 'CREDIT', amount: fee },
    ],
  });
  return entry.id;
}

/** Splits the cash through the line's waterfall and posts it as one balanced entry with its repayment row. */
async function applyCash(
  db: Db,
  actor: SalesActor,
  line: CreditLineRecord,
  accounts: LineAccountIds,
  input: Omit<CashReceived, 'amount'> & { amount: Money; kind: Repayment['kind']; saleId: string | null },
): Promise<{ repayment: Repayment; allocation: WaterfallAllocation }> {
  const owed = await owedOn(db, line);
  const allocation = splitRepayment(input.amount, line.terms.waterfallOrder, owed);
  await requireMoneyExisted(db, {
    field: 'body.receivedOn', valueDate: input.receivedOn, today: input.today, accountId: accounts.LOAN_PRINCIPAL, amount: allocation.principal,
    what: 'principal it repays', earliest: [lineOpened(line)],
  });
  const repaymentId = randomUUID();
  const credits: Array<[string, Money]> = [
    [accounts.FEES_RECEIVABLE, allocation.fees],
    [accounts.INTEREST_RECEIVABLE, allocation.interest],
    [accounts.LOAN_PRINCIPAL, allocation.principal],
    [accounts.SELLER_PAYABLE, allocation.toSeller],
  ];
  const what = input.kind === 'SALE_PAYMENT' ? `Buyer payment for sale ${input.saleId}` : 'Direct repayment by the seller';
  const entry = await postEntry(db, {
    idempotencyKey: `repayment:${repaymentId}`,
    description: `${what}${input.reference ? ` (${input.reference})` : ''}`,
    effectiveDate: input.receivedOn,
    accountSetId: line.id,
    metadata: { repaymentId, kind: input.kind, ...(input.saleId ? { saleId: input.saleId } : {}) },
    lines: [
      { accountId: accounts.COLLECTION, side: 'DEBIT', amount: input.amount },
      ...credits.filter(([, amount]) => amount.isPositive()).map(([accountId, amount]) => ({ accountId, side: 'CREDIT' as const, amount })),
    ],
  });
  const repayment = await db.repayment.create({
    data: {
      id: repaymentId,
      creditLineId: line.id,
      kind: input.kind,
      saleId: input.saleId,
      amount: input.amount.amount.toFixed(),
      currency: input.amount.currency,
      feesPaid: allocation.fees.amount.toFixed(),
      interestPaid: allocation.interest.amount.toFixed(),
      principalPaid: allocation.principal.amount.toFixed(),
      toSeller: allocation.toSeller.amount.toFixed(),
      receivedOn: new Date(`${input.receivedOn}T00:00:00Z`),
      reference: input.reference ?? null,
      entryId: entry.id,
      recordedByUserId: actor.userId,
    },
  });
  await recordAudit(db, actor, {
    action: input.kind === 'SALE_PAYMENT' ? 'repayment.sale_payment' : 'repayment.direct',
    targetType: 'repayment',
    targetId: repaymentId,
    after: { creditLineId: line.id, saleId: input.saleId, amount: input.amount.toFixedString(), entryId: entry.id, ...allocationJson(allocation) },
  });
  return { repayment, allocation };
}

export function allocationJson(allocation: WaterfallAllocation) {
  return {
    fees: allocation.fees.toFixedString(),
    interest: allocation.interest.toFixedString(),
    principal: allocation.principal.toFixedString(),
    toSeller: allocation.toSeller.toFixedString(),
  };
}

async function owedOn(db: Db, line: CreditLineRecord) {
  const outstanding = await lineOutstanding(db, line);
  return { fees: outstanding.feesReceivable, interest: outstanding.interestReceivable, principal: outstanding.principal };
}

type LineAccountIds = Record<LineAccountCode, string>;

async function lineAccountIds(db: Db, lineId: string): Promise<LineAccountIds> {
  const accounts = await db.ledgerAccount.findMany({ where: { accountSetId: lineId }, select: { id: true, code: true } });
  const byCode = Object.fromEntries(accounts.map((account) => [account.code, account.id]));
  for (const code of ['LOAN_PRINCIPAL', 'INTEREST_RECEIVABLE', 'FEES_RECEIVABLE', 'COLLECTION', 'SELLER_PAYABLE', 'FEE_INCOME'] as const) {
    assert(byCode[code] !== undefined, `credit line ${lineId} has ledger account ${code}`);
  }
  return byCode as LineAccountIds;
}

// ─── Access ──────────────────────────────────────────────────────────────────

async function lockLineVisibleTo(db: Db, actor: SalesActor, lineId: string): Promise<CreditLineRecord> {
  await lockLines(db, [lineId]);
  return creditLineVisibleTo(db, actor.organisationId, lineId);
}

function requireActingRole(actor: SalesActor, what: string): void {
  if (actor.role === 'VIEWER') throw new ForbiddenError(`a VIEWER cannot ${what}; ask an OPERATOR, APPROVER or ADMIN of your organisation`);
}

/** Cash is recorded by the lender, which sees its collection account; any of its users but a VIEWER. */
function requireLenderOperator(actor: SalesActor, line: CreditLineRecord, what: string): void {
  if (actor.organisationId !== line.lenderOrganisationId) throw new ForbiddenError(`only the line's lender can ${what}`);
  requireActingRole(actor, what);
}

/** The workflow id of the sale whose goods `releaseOrderId` releases; null for a release order no sale made. */
export async function saleWorkflowOfReleaseOrder(db: Db, releaseOrderId: string): Promise<string | null> {
  const item = await db.saleItem.findUnique({ where: { releaseOrderId }, select: { sale: { select: { workflowId: true } } } });
  return item?.sale.workflowId ?? null;
}
