import { randomUUID } from 'node:crypto';
import { Money } from '../../domain/money';
import { createAccountSet, postEntry } from '../../prisma/ledger/store';
import { inTransaction, type PrismaClient } from '../../prisma/client';
import type { TestApi, TestOrganisation, TestUser } from '../support/api';

export interface LineTerms {
  currency?: string;
  limitAmount?: string;
  haircut?: string;
  defaultAdvanceRate?: string;
  maxMarkAgeHours?: number;
  stockCountIntervalDays?: number;
  advanceRates?: Record<string, string>;
  /** Warehouses approved for the line; by default every warehouse that exists when the line is written. */
  approvedWarehouseIds?: string[];
}

/**
 * An ACTIVE credit line written directly, as if offered and accepted, bypassing the API's checks
 * (counterparts, approvable warehouses): for custody and valuation tests that need a line, not the offer.
 */
export async function createCreditLine(prisma: PrismaClient, lenderOrganisationId: string, sellerOrganisationId: string, terms: LineTerms = {}) {
  const approvedWarehouseIds = terms.approvedWarehouseIds ?? (await prisma.warehouse.findMany({ select: { id: true } })).map((warehouse) => warehouse.id);
  const line = await prisma.creditLine.create({
    data: {
      lenderOrganisationId,
      sellerOrganisationId,
      status: 'ACTIVE',
      acceptedAt: new Date(),
      approvedWarehouses: { create: approvedWarehouseIds.map((warehouseId) => ({ warehouseId })) },
      currency: terms.currency ?? 'USD',
      limitAmount: terms.limitAmount ?? '1000000',
      defaultAdvanceRate: terms.defaultAdvanceRate ?? '0.5',
      haircut: terms.haircut ?? '0.2',
      annualInterestRate: '0.1',
      dayCount: 'ACT_360',
      maxMarkAgeHours: terms.maxMarkAgeHours ?? 24,
      marginCallLtv: '0.7',
      liquidationLtv: '0.85',
      targetLtv: '0.5',
      curePeriodHours: 48,
      stockCountIntervalDays: terms.stockCountIntervalDays ?? 30,
      maturityDate: new Date('2027-12-31T00:00:00Z'),
      autoApproveUpTo: '0',
      singleApproverUpTo: '0',
      approvalWindowHours: 24,
      waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    },
  });
  for (const [commodityCode, advanceRate] of Object.entries(terms.advanceRates ?? {})) {
    await prisma.creditLineAdvanceRate.create({ data: { creditLineId: line.id, commodityCode, advanceRate } });
  }
  return line;
}

/** Puts `amount` of principal outstanding on the line through the ledger (debit LOAN_PRINCIPAL, credit LENDER_FUNDING). */
export async function drawPrincipal(prisma: PrismaClient, line: { id: string; currency: string }, amount: string): Promise<void> {
  await inTransaction(prisma, async (tx) => {
    const existing = await tx.ledgerAccount.findMany({ where: { accountSetId: line.id } });
    const accounts =
      existing.length > 0
        ? existing
        : await createAccountSet(tx, {
            accountSetId: line.id,
            currency: line.currency,
            accounts: [
              { code: 'LOAN_PRINCIPAL', name: 'Loan principal', type: 'ASSET', normalBalance: 'DEBIT' },
              { code: 'LENDER_FUNDING', name: 'Lender funding', type: 'LIABILITY', normalBalance: 'CREDIT' },
            ],
          });
    const principal = accounts.find((a) => a.code === 'LOAN_PRINCIPAL')!;
    const funding = accounts.find((a) => a.code === 'LENDER_FUNDING')!;
    await postEntry(tx, {
      idempotencyKey: `test-draw-${randomUUID()}`,
      description: 'test draw',
      effectiveDate: '2026-11-23',
      accountSetId: line.id,
      lines: [
        { accountId: principal.id, side: 'DEBIT', amount: Money.of(amount, line.currency) },
        { accountId: funding.id, side: 'CREDIT', amount: Money.of(amount, line.currency) },
      ],
    });
  });
}

export interface CustodyWorld {
  warehouse: TestOrganisation;
  warehouseId: string;
  roomId: string;
  coldRoomId: string;
  seller: TestOrganisation;
  lender: TestOrganisation;
  commodityCode: string;
}

let commoditySeq = 0;

/**
 * A lender, and a warehouse org (with a warehouse and two rooms) and a seller it onboarded as its
 * counterparts, and a commodity, all through the API.
 */
export async function custodyWorld(api: TestApi, options: { commodityCode?: string; unit?: string; grades?: string[] } = {}): Promise<CustodyWorld> {
  const lender = await api.organisation('LENDER');
  const warehouse = await api.counterpart(lender, 'WAREHOUSE');
  const seller = await api.counterpart(lender, 'SELLER');
  const created = await api.post(warehouse.admin, '/warehouses', { name: 'Cold store north' }).expect(201);
  const warehouseId = created.body.id as string;
  const room = await api.post(warehouse.admin, `/warehouses/${warehouseId}/locations`, { name: 'Room A', kind: 'STORE_ROOM' }).expect(201);
  const cold = await api.post(warehouse.admin, `/warehouses/${warehouseId}/locations`, { name: 'Cold 1', kind: 'COLD_ROOM' }).expect(201);
  commoditySeq += 1;
  const commodityCode = options.commodityCode ?? `APPLE_${commoditySeq}_${randomUUID().slice(0, 6).toUpperCase()}`;
  const commodity = await api.post(warehouse.admin, '/commodities', { code: commodityCode, name: 'Apples Fuji', unit: options.unit ?? 'kg', grades: options.grades ?? ['80', '70'] });
  if (commodity.status !== 201 && commodity.status !== 409) throw new Error(`commodity: ${commodity.status} ${JSON.stringify(commodity.body)}`);
  return { warehouse, warehouseId, roomId: room.body.id, coldRoomId: cold.body.id, seller, lender, commodityCode };
}

let receiptSeq = 0;

export async function receiveLot(
  api: TestApi,
  world: CustodyWorld,
  overrides: { quantity?: string; grade?: string; receiptNumber?: string; user?: TestUser; commodityCode?: string } = {},
): Promise<{ id: string; receiptNumber: string }> {
  receiptSeq += 1;
  const receiptNumber = overrides.receiptNumber ?? `WR-${receiptSeq}-${randomUUID().slice(0, 6)}`;
  const res = await api.post(overrides.user ?? world.warehouse.admin, `/warehouses/${world.warehouseId}/lots`, {
    sellerOrganisationId: world.seller.organisationId,
    commodityCode: overrides.commodityCode ?? world.commodityCode,
    grade: overrides.grade ?? '80',
    quantity: { amount: overrides.quantity ?? '1000', unit: 'kg' },
    locationId: world.roomId,
    receivedAt: '2026-11-20T08:00:00Z',
    receiptNumber,
  });
  if (res.status !== 201) throw new Error(`receive: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, receiptNumber };
}
