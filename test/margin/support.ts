/**
 * A world for margin tests: a credit line with the full account set and the
 * thresholds of the worked example (margin call 0.7, liquidation 0.85,
 * target 0.45, haircut 0.25, cure period 48 h), principal drawn through the
 * ledger, and lots received and pledged through the API.
 */
import { ok } from '../../client';
import { randomUUID } from 'node:crypto';
import { utcDay } from '../../domain/value-dates';
import { Money } from '../../domain/money';
import { LINE_ACCOUNTS } from '../../prisma/credit-lines/store';
import { inTransaction } from '../../prisma/client';
import { createAccountSet, postEntry, balances } from '../../prisma/ledger/store';
import { evaluateLineMargin, type RevaluationReason } from '../../prisma/margin/store';
import type { TestApi } from '../support/api';
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

export interface MarginWorld extends CustodyWorld {
  lineId: string;
}

export async function marginWorld(api: TestApi, options: { stockCountIntervalDays?: number } = {}): Promise<MarginWorld> {
  const world = await custodyWorld(api);
  const line = await api.db.prisma.creditLine.create({
    data: {
      lenderOrganisationId: world.lender.organisationId,
      sellerOrganisationId: world.seller.organisationId,
      status: 'ACTIVE',
      acceptedAt: new Date(),
      approvedWarehouses: { create: [{ warehouseId: world.warehouseId }] },
      currency: 'USD',
      limitAmount: '1000000',
      defaultAdvanceRate: '0.6',
      haircut: '0.25',
      annualInterestRate: '0.1',
      dayCount: 'ACT_360',
      // Long enough that marks stay fresh across the cure period in these tests.
      maxMarkAgeHours: 24 * 365,
      marginCallLtv: '0.7',
      liquidationLtv: '0.85',
      targetLtv: '0.45',
      curePeriodHours: 48,
      stockCountIntervalDays: options.stockCountIntervalDays ?? 30,
      maturityDate: new Date('2027-12-31T00:00:00Z'),
      autoApproveUpTo: '0',
      singleApproverUpTo: '0',
      approvalWindowHours: 24,
      waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    },
  });
  await inTransaction(api.db.prisma, (tx) => createAccountSet(tx, { accountSetId: line.id, currency: 'USD', accounts: [...LINE_ACCOUNTS] }));
  return { ...world, lineId: line.id };
}

/** Posts `amount` USD between two of the line's accounts (debit, credit). */
export async function post(api: TestApi, lineId: string, debitCode: string, creditCode: string, amount: string): Promise<void> {
  const accounts = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: lineId } });
  const id = (code: string) => accounts.find((account) => account.code === code)!.id;
  await postEntry(api.db.prisma, {
    idempotencyKey: `test-${randomUUID()}`,
    description: `test ${debitCode}/${creditCode}`,
    effectiveDate: '2026-11-23',
    accountSetId: lineId,
    lines: [
      { accountId: id(debitCode), side: 'DEBIT', amount: Money.of(amount, 'USD') },
      { accountId: id(creditCode), side: 'CREDIT', amount: Money.of(amount, 'USD') },
    ],
  });
}

export const draw = (api: TestApi, lineId: string, amount: string) => post(api, lineId, 'LOAN_PRINCIPAL', 'LENDER_FUNDING', amount);

/** Receives a lot of `quantity` kg (grade 80) and pledges it to the line through the API. */
export async function pledgedLot(api: TestApi, world: MarginWorld, quantity: string): Promise<string> {
  const lot = await receiveLot(api, world, { quantity, grade: '80' });
  await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: world.lineId }).expect(201);
  return lot.id;
}

/** Posts a mark for the world's commodity, grade 80, as of `asOf` (default now). */
/** The lender posts a price mark, through the typed client (a renamed route or field fails `tsc`). */
export async function mark(api: TestApi, world: MarginWorld, pricePerUnit: string, asOf = new Date()): Promise<void> {
  await ok(
    api.client(world.lender.admin).POST('/price-marks', {
      body: { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: pricePerUnit, currency: 'USD', unit: 'kg' }, source: 'test feed', asOf: asOf.toISOString() },
    }),
  );
}

/** The lender records the seller's direct repayment (the sales capability's endpoint). */
export async function repay(api: TestApi, world: MarginWorld, amount: string): Promise<void> {
  await ok(api.client(world.lender.admin).POST('/credit-lines/{lineId}/repayments', { params: { path: { lineId: world.lineId } }, body: { amount: { amount, currency: 'USD' }, receivedOn: utcDay(new Date()) } }));
}

export function evaluate(api: TestApi, lineId: string, now: Date, reason: RevaluationReason = 'PRICE_MARK') {
  return inTransaction(api.db.prisma, (tx) => evaluateLineMargin(tx, { lineId, now, reason }));
}

export async function balancesOf(api: TestApi, lineId: string): Promise<Record<string, string>> {
  const rows = await balances(api.db.prisma, { accountSetId: lineId });
  return Object.fromEntries(rows.map((row) => [row.code, row.balance.toFixedString()]));
}

export async function liveCall(api: TestApi, lineId: string) {
  return api.db.prisma.marginCall.findFirst({ where: { creditLineId: lineId }, orderBy: { createdAt: 'desc' } });
}

export async function lineStatus(api: TestApi, lineId: string): Promise<string> {
  return (await api.db.prisma.creditLine.findUniqueOrThrow({ where: { id: lineId } })).status;
}

export async function notificationsOf(api: TestApi, organisationId: string, subjectId: string) {
  const rows = await api.db.prisma.notification.findMany({ where: { organisationId, subjectId }, orderBy: { createdAt: 'asc' } });
  return rows.map((row) => row.kind);
}
