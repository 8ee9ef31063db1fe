/**
 * Sale settlement end to end: the API (supertest) against a real PostgreSQL,
 * the sale workflow in the offline harness with its real activities on the
 * same database. Figures are computed by hand in the comments.
 *
 * Canonical line (docs/domain.md, "The canonical story"): 20 000 kg apples marked 1.20 USD/kg, haircut 0,
 * advance rate 50 % → borrowing base 20 000 × 1.20 × 0.5 = 12 000.00.
 * The draw of 12 000.00 and 30 days of interest, 12 000.00 × 12 % × 30/360 =
 * 120.00, are posted directly through the ledger store (the draws and accrual
 * capabilities are tested on their own).
 * Fee on sale = 30 days × 0.002 USD/kg/day × 20 000 kg = 1 200.00.
 */
import { borrowingBaseQuery } from '../../../prisma/custody/valuation';
import { createTestApi, type TestApi } from '../../support/api';
import { HarnessTemporal } from '../../support/harness-temporal';
import { custodyChangedSignal, saleSettlementPhaseQuery } from '../../../workflows/sales/definitions';
import { DAY_MS, isoDay, lineBalances, postOnLine, salesWorld, type SalesWorld } from '../../sales/world';

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const now = Date.now();
const today = isoDay(now);
const drawDay = isoDay(now - 30 * DAY_MS);
const accrualDay = isoDay(now - DAY_MS);
const dueDate = isoDay(now + 30 * DAY_MS);

/** The canonical line with 12 000.00 drawn and 120.00 interest accrued. */
async function drawnLine(): Promise<SalesWorld> {
  const world = await salesWorld(api);
  await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '12000.00', effectiveDate: drawDay, description: 'Draw disbursed' });
  await postOnLine(api, world, { debit: 'INTEREST_RECEIVABLE', credit: 'INTEREST_INCOME', amount: '120.00', effectiveDate: accrualDay, description: 'Interest accrued, 30 days' });
  return world;
}

async function reportSale(world: SalesWorld, body: Record<string, unknown> = {}) {
  const res = await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
    buyerOrganisationId: world.buyer.organisationId,
    items: [{ lotId: world.lotId, quantity: { amount: '20000', unit: 'kg' } }],
    pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
    paymentDueDate: dueDate,
    ...body,
  });
  expect(res.status).toBe(201);
  await temporal.settled();
  // The sale's workflow was started.
  expect(temporal.workflowIds).toContain(res.body.workflowId);
  return res.body as { id: string; workflowId: string; totalPrice: string; feeOnSale: string; status: string };
}

async function pay(world: SalesWorld, saleId: string, amount: string) {
  const res = await api.post(world.custody.lender.admin, `/sales/${saleId}/payments`, { amount: { amount, currency: 'USD' }, receivedOn: today, reference: `wire ${amount}` });
  await temporal.settled();
  return res;
}

/** Read through the store: the borrowing-base route's LTV has no bounded scale yet (a non-terminating ratio fails its schema). */
async function borrowingBase(world: SalesWorld): Promise<string> {
  const { totals } = await borrowingBaseQuery(api.db.prisma, { lineId: world.line.id, now: new Date(), lotsPage: null });
  return totals.borrowingBase.toFixed();
}

async function notificationsOf(saleId: string) {
  return api.db.sql<{ organisation_id: string; kind: string }>(`SELECT organisation_id::text, kind FROM notification WHERE subject_id = $1 ORDER BY kind, organisation_id`, [saleId]);
}

describe('canonical sale: cold-store apples, 50 % advance, fee on sale = 30 days of storage', () => {
  test('sale, buyer pays in full, waterfall, automatic release, warehouse confirms, sale closes', async () => {
    const world = await drawnLine();
    expect(await borrowingBase(world)).toBe('12000');

    // 20 000 kg × 1.30 = 26 000.00; fee 30 × 0.002 × 20 000 = 1 200.00
    const sale = await reportSale(world);
    expect(sale).toMatchObject({ totalPrice: { amount: '26000.00', currency: 'USD' }, feeOnSale: { amount: '1200.00', currency: 'USD' }, status: 'OPEN' });
    const run = temporal.handle(sale.workflowId);
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-payment');
    // Sold but unpaid: valued at min(mark 1.20, sale 1.30) = 1.20 → 20 000 × 1.20 × 0.5 = 12 000
    expect(await borrowingBase(world)).toBe('12000');

    // 26 000.00 → fees 1 200.00, interest 120.00, principal 12 000.00, seller 26 000 − 13 320 = 12 680.00
    const paid = await pay(world, sale.id, '26000.00');
    expect(paid.status).toBe(201);
    expect(paid.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '12000.00', currency: 'USD' }, toSeller: { amount: '12680.00', currency: 'USD' } });
    expect(temporal.signalled).toContainEqual({ workflowId: sale.workflowId, signalName: 'paymentRecorded', args: [paid.body.repayment.id] });

    expect(await lineBalances(api, world)).toEqual({
      COLLECTION: '26000.00',
      FEES_RECEIVABLE: '0.00',
      FEE_INCOME: '1200.00',
      INTEREST_INCOME: '120.00',
      INTEREST_RECEIVABLE: '0.00',
      LENDER_FUNDING: '12000.00',
      LOAN_PRINCIPAL: '0.00',
      SELLER_PAYABLE: '12680.00',
    });

    // Paid in full: the workflow authorised the release of 20 000 kg by itself.
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-release');
    const afterPayment = await api.get(world.custody.seller.admin, `/sales/${sale.id}`).expect(200);
    expect(afterPayment.body).toMatchObject({ status: 'RELEASE_AUTHORISED', amountPaid: { amount: '26000.00', currency: 'USD' }, remainingDue: { amount: '0.00', currency: 'USD' } });
    const releaseOrderId = afterPayment.body.items[0].releaseOrderId as string;
    const order = await api.get(world.custody.warehouse.admin, `/release-orders/${releaseOrderId}`).expect(200);
    expect(order.body).toMatchObject({ kind: 'LENDER_AUTHORISATION', creditLineId: world.line.id, quantityAuthorised: { amount: '20000', unit: 'kg' }, status: 'OPEN' });
    // The paid goods no longer secure the line.
    expect(await borrowingBase(world)).toBe('0');

    await api
      .post(world.custody.warehouse.admin, `/release-orders/${releaseOrderId}/confirmations`, { quantity: { amount: '20000', unit: 'kg' }, releasedAt: new Date().toISOString() })
      .expect(201);
    // The confirmation wakes the sale's workflow through the outbox (found on the real server: without it the sale waited for its hourly poll).
    await temporal.settled();
    expect(temporal.signalled).toContainEqual({ workflowId: sale.workflowId, signalName: custodyChangedSignal.name, args: [] });
    expect(await run.query(saleSettlementPhaseQuery)).toBe('closed');
    expect(await run.result()).toEqual({ saleId: sale.id, outcome: 'CLOSED', releaseOrderIds: [releaseOrderId], releaseReminded: false });

    const closed = await api.get(world.buyer.admin, `/sales/${sale.id}`).expect(200);
    expect(closed.body.status).toBe('CLOSED');
    const lot = await api.get(world.custody.warehouse.admin, `/lots/${world.lotId}`).expect(200);
    expect(lot.body.quantity).toEqual({ amount: '0', unit: 'kg' });
    const events = await api.db.sql<{ type: string }>(`SELECT type::text FROM custody_event WHERE lot_id = $1 ORDER BY seq`, [world.lotId]);
    expect(events.map((e) => e.type)).toEqual(['RECEIVED', 'PLEDGED', 'RELEASE_ORDERED', 'RELEASED']);

    // The statement shows each posting: the draw, the accrual, the fee, the payment.
    const statement = await api.get(world.custody.seller.admin, `/credit-lines/${world.line.id}/statement?from=${drawDay}&to=${today}`).expect(200);
    const linesOf = (code: string) =>
      statement.body.accounts
        .find((a: { code: string }) => a.code === code)
        .lines.map((l: { description: string; debit: { amount: string } | null; credit: { amount: string } | null; runningBalance: { amount: string } }) => [
          l.description,
          l.debit?.amount ?? null,
          l.credit?.amount ?? null,
          l.runningBalance.amount,
        ]);
    const payment = `Buyer payment for sale ${sale.id} (wire 26000.00)`;
    expect(linesOf('FEES_RECEIVABLE')).toEqual([[`Fee on sale ${sale.id}`, '1200.00', null, '1200.00'], [payment, null, '1200.00', '0.00']]);
    expect(linesOf('INTEREST_RECEIVABLE')).toEqual([['Interest accrued, 30 days', '120.00', null, '120.00'], [payment, null, '120.00', '0.00']]);
    expect(linesOf('LOAN_PRINCIPAL')).toEqual([['Draw disbursed', '12000.00', null, '12000.00'], [payment, null, '12000.00', '0.00']]);
    expect(linesOf('COLLECTION')).toEqual([[payment, '26000.00', null, '26000.00']]);
    expect(linesOf('SELLER_PAYABLE')).toEqual([[payment, null, '12680.00', '12680.00']]);
    expect(linesOf('FEE_INCOME')).toEqual([[`Fee on sale ${sale.id}`, null, '1200.00', '1200.00']]);

    // Who was told: release authorised (warehouse, seller, buyer), closed (seller, lender, buyer).
    const told = await notificationsOf(sale.id);
    const { warehouse, seller, lender } = world.custody;
    const sorted = (ids: string[]) => [...ids].sort();
    expect(told.filter((n) => n.kind === 'sale.release_authorised').map((n) => n.organisation_id)).toEqual(sorted([warehouse.organisationId, seller.organisationId, world.buyer.organisationId]));
    expect(told.filter((n) => n.kind === 'sale.closed').map((n) => n.organisation_id)).toEqual(sorted([lender.organisationId, seller.organisationId, world.buyer.organisationId]));

    // The lender pays the seller what it is owed: 12 680.00 out of the collection account (26 000.00 − 12 680.00 = 13 320.00 left).
    await api.post(lender.admin, `/credit-lines/${world.line.id}/seller-payouts`, { amount: { amount: '12680.00', currency: 'USD' }, paidOn: today }).expect(201);
    const after = await lineBalances(api, world);
    expect([after.SELLER_PAYABLE, after.COLLECTION]).toEqual(['0.00', '13320.00']);
  });
});

describe('partial payments', () => {
  test('two parts settle the sale; the first runs the waterfall top-down, an overpayment between them is refused', async () => {
    const world = await drawnLine();
    const sale = await reportSale(world);
    const run = temporal.handle(sale.workflowId);

    // 10 000.00 → fees 1 200.00, interest 120.00, principal 10 000 − 1 320 = 8 680.00, seller 0.00
    const first = await pay(world, sale.id, '10000.00');
    expect(first.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '8680.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
    expect(first.body.sale).toMatchObject({ status: 'OPEN', amountPaid: { amount: '10000.00', currency: 'USD' }, remainingDue: { amount: '16000.00', currency: 'USD' } });
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-payment');
    // Unpaid share 16 000 / 26 000 of 20 000 kg at min(1.20, 1.30): 1.20 × 20 000 × 16/26 × 0.5 = 7 384.615384…
    expect(await borrowingBase(world)).toMatch(/^7384\.6153846153/);

    // 16 000.01 > 16 000.00 still due
    const over = await pay(world, sale.id, '16000.01');
    expect(over.status).toBe(422);
    expect(over.body.code).toBe('overpayment');

    // 16 000.00 → principal 12 000 − 8 680 = 3 320.00, seller 16 000 − 3 320 = 12 680.00
    const second = await pay(world, sale.id, '16000.00');
    expect(second.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '3320.00', currency: 'USD' }, toSeller: { amount: '12680.00', currency: 'USD' } });
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-release');
    const balances = await lineBalances(api, world);
    expect([balances.LOAN_PRINCIPAL, balances.FEES_RECEIVABLE, balances.SELLER_PAYABLE, balances.COLLECTION]).toEqual(['0.00', '0.00', '12680.00', '26000.00']);
    // One fee entry for the sale, whatever the number of payments: 1 200.00 of fee income.
    expect(balances.FEE_INCOME).toBe('1200.00');

    const detail = await api.get(world.custody.lender.admin, `/sales/${sale.id}`).expect(200);
    expect(detail.body.payments.map((p: { amount: { amount: string } }) => p.amount.amount)).toEqual(['10000.00', '16000.00']);
    // After payment in full nothing more is taken.
    expect((await pay(world, sale.id, '0.01')).body.code).toBe('sale_not_open');
  });

  test('a release not confirmed in time reminds the warehouse and tells the lender, once', async () => {
    const world = await drawnLine();
    const sale = await reportSale(world);
    const run = temporal.handle(sale.workflowId);
    await pay(world, sale.id, '26000.00');
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-release');
    await run.advanceTime(47 * 3_600_000);
    expect((await notificationsOf(sale.id)).filter((n) => n.kind === 'sale.release_overdue')).toEqual([]);
    await run.advanceTime(2 * 3_600_000 + 1);
    await run.advanceTime(5 * 3_600_000);
    const overdue = (await notificationsOf(sale.id)).filter((n) => n.kind === 'sale.release_overdue').map((n) => n.organisation_id);
    expect(overdue).toEqual([world.custody.warehouse.organisationId, world.custody.lender.organisationId].sort());
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-release');
  });
});

describe('lapse', () => {
  test('unpaid at its due date the sale lapses: payments stay applied, goods stay pledged, parties are told', async () => {
    const world = await drawnLine();
    const sale = await reportSale(world);
    const run = temporal.handle(sale.workflowId);

    // 5 000.00 → fees 1 200.00, interest 120.00, principal 3 680.00
    const part = await pay(world, sale.id, '5000.00');
    expect(part.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '3680.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });

    await run.advanceTime(29 * DAY_MS);
    expect(await run.query(saleSettlementPhaseQuery)).toBe('awaiting-payment');
    expect(await run.result()).toEqual({ saleId: sale.id, outcome: 'LAPSED', releaseOrderIds: [], releaseReminded: false });

    const lapsed = await api.get(world.custody.seller.admin, `/sales/${sale.id}`).expect(200);
    expect(lapsed.body).toMatchObject({ status: 'LAPSED', amountPaid: { amount: '5000.00', currency: 'USD' }, remainingDue: { amount: '21000.00', currency: 'USD' } });
    // Principal 12 000.00 − 3 680.00 = 8 320.00 still owed; the payment stays applied.
    const balances = await lineBalances(api, world);
    expect([balances.LOAN_PRINCIPAL, balances.INTEREST_RECEIVABLE, balances.FEES_RECEIVABLE, balances.COLLECTION]).toEqual(['8320.00', '0.00', '0.00', '5000.00']);
    // Goods stay pledged and are valued at the mark again: 20 000 × 1.20 × 0.5 = 12 000
    const lot = await api.get(world.custody.lender.admin, `/lots/${world.lotId}`).expect(200);
    expect(lot.body.pledgedToCreditLineId).toBe(world.line.id);
    expect(await borrowingBase(world)).toBe('12000');

    const told = (await notificationsOf(sale.id)).filter((n) => n.kind === 'sale.lapsed').map((n) => n.organisation_id);
    expect(told).toEqual([world.custody.seller.organisationId, world.custody.lender.organisationId, world.buyer.organisationId].sort());
    expect((await pay(world, sale.id, '21000.00')).body.code).toBe('sale_not_open');
    // The lapsed goods can be sold again.
    await reportSale(world, { pricePerUnit: { amount: '1.25', currency: 'USD', unit: 'kg' } });
  });
});
