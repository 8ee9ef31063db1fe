/**
 * Test data for sales: a cold store with a seller's apples pledged to a credit
 * line offered and accepted through the credit-lines store (so the line has its
 * full ledger account set and the cold store approved), a buyer onboarded by the lender, a fresh price mark, and principal and interest put on
 * the line directly through the ledger store (the draws and accrual
 * capabilities are other engineers' and are not needed to test repayment).
 *
 * The API's Temporal in these tests is the shared `HarnessTemporal`
 * (test/support/harness-temporal.ts): workflows run in the offline harness with
 * the real activities against the test database.
 */
import { randomUUID } from 'node:crypto';
import type { CreditTerms, OnSaleFee, WaterfallBucket } from '../../domain/credit-terms';
import { D, Money } from '../../domain/money';
import { inTransaction } from '../../prisma/client';
import { acceptCreditLine, offerCreditLine, type CreditLineRecord } from '../../prisma/credit-lines/store';
import { postEntry } from '../../prisma/ledger/store';
import type { TestApi, TestOrganisation } from '../support/api';
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';

export interface SalesWorld {
  custody: CustodyWorld;
  buyer: TestOrganisation;
  line: CreditLineRecord;
  lotId: string;
  /** Ledger account id by code. */
  accounts: Record<string, string>;
}

export const DAY_MS = 86_400_000;
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface SalesWorldOptions {
  onSale?: OnSaleFee | null;
  waterfallOrder?: WaterfallBucket[];
  lotQuantity?: string;
  markPrice?: string;
}

/**
 * The canonical cold store: 20 000 kg of apples marked at 1.20 USD/kg, haircut
 * 0, advance rate 50 %, fee on sale = 30 days × 0.002 USD/kg/day.
 */
export async function salesWorld(api: TestApi, options: SalesWorldOptions = {}): Promise<SalesWorld> {
  const custody = await custodyWorld(api);
  const buyer = await api.counterpart(custody.lender, 'BUYER');
  const lenderActor = { userId: custody.lender.admin.userId, organisationId: custody.lender.organisationId, organisationKind: 'LENDER' as const, role: 'ADMIN' as const, requestId: null };
  const usd = (amount: string) => Money.of(amount, 'USD');
  const terms: CreditTerms = {
    currency: 'USD',
    limit: usd('100000.00'),
    defaultAdvanceRate: new D('0.5'),
    advanceRatesByCommodity: {},
    haircut: new D('0'),
    annualInterestRate: new D('0.12'),
    dayCount: 'ACT_360',
    feeSchedule: {
      onSale: options.onSale === undefined ? { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: usd('0.002'), unit: 'kg' } : options.onSale,
      perDraw: null,
    },
    maxMarkAgeHours: 24 * 365,
    marginCallLtv: new D('0.7'),
    liquidationLtv: new D('0.85'),
    targetLtv: new D('0.4'),
    curePeriodHours: 48,
    stockCountIntervalDays: 365,
    maturityDate: '2030-12-31',
    approvalThresholds: { autoApproveUpTo: usd('0'), singleApproverUpTo: usd('0') },
    approvalWindowHours: 24,
    waterfallOrder: options.waterfallOrder ?? ['FEES', 'INTEREST', 'PRINCIPAL'],
  };
  const sellerActor = { userId: custody.seller.admin.userId, organisationId: custody.seller.organisationId, organisationKind: 'SELLER' as const, role: 'ADMIN' as const, requestId: null };
  const line = await inTransaction(api.db.prisma, async (tx) => {
    const offered = await offerCreditLine(tx, lenderActor, { sellerOrganisationId: custody.seller.organisationId, terms, approvedWarehouseIds: [custody.warehouseId] });
    return acceptCreditLine(tx, sellerActor, offered.id, new Date());
  });
  const lot = await receiveLot(api, custody, { quantity: options.lotQuantity ?? '20000' });
  await api.post(custody.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
  await api
    .post(custody.lender.admin, '/price-marks', {
      commodityCode: custody.commodityCode,
      grade: '80',
      pricePerUnit: { amount: options.markPrice ?? '1.20', currency: 'USD', unit: 'kg' },
      source: 'wholesale market',
      asOf: new Date(Date.now() - 3_600_000).toISOString(),
    })
    .expect(201);
  const rows = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: line.id } });
  return { custody, buyer, line, lotId: lot.id, accounts: Object.fromEntries(rows.map((row) => [row.code, row.id])) };
}

/** Posts a balanced two-line entry on the line's accounts (stands in for a disbursed draw or an accrual). */
export async function postOnLine(api: TestApi, world: SalesWorld, input: { debit: string; credit: string; amount: string; effectiveDate: string; description: string }) {
  await inTransaction(api.db.prisma, (tx) =>
    postEntry(tx, {
      idempotencyKey: `test:${randomUUID()}`,
      description: input.description,
      effectiveDate: input.effectiveDate,
      accountSetId: world.line.id,
      lines: [
        { accountId: world.accounts[input.debit], side: 'DEBIT', amount: Money.of(input.amount, 'USD') },
        { accountId: world.accounts[input.credit], side: 'CREDIT', amount: Money.of(input.amount, 'USD') },
      ],
    }),
  );
}

/** Every account's balance as a plain string at scale, by code. */
export async function lineBalances(api: TestApi, world: SalesWorld): Promise<Record<string, string>> {
  const res = await api.get(world.custody.lender.admin, `/credit-lines/${world.line.id}/ledger/balances`).expect(200);
  return Object.fromEntries((res.body.accounts as { code: string; balance: { amount: string } }[]).map((a) => [a.code, a.balance.amount]));
}
