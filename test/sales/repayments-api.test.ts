/**
 * Direct repayments, seller payouts and the refusals of the sales API, against
 * a real PostgreSQL. The line carries 12 000.00 principal and 120.00 interest
 * posted directly through the ledger store.
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, lineBalances, postOnLine, salesWorld, type SalesWorld, type SalesWorldOptions } from './world';

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const today = isoDay(Date.now());

async function drawnLine(options: SalesWorldOptions = {}): Promise<SalesWorld> {
  const world = await salesWorld(api, options);
  await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '12000.00', effectiveDate: isoDay(Date.now() - 30 * DAY_MS), description: 'Draw disbursed' });
  await postOnLine(api, world, { debit: 'INTEREST_RECEIVABLE', credit: 'INTEREST_INCOME', amount: '120.00', effectiveDate: today, description: 'Interest accrued' });
  return world;
}

describe('direct repayment', () => {
  test('runs the same waterfall without a sale: 5 000.00 → interest 120.00, principal 4 880.00', async () => {
    const world = await drawnLine();
    // Through the typed client: the repayment's route, body and answer as the OpenAPI document types them.
    const lender = api.client(world.custody.lender.admin);
    const lineId = world.line.id;
    const repaid = await lender.POST('/credit-lines/{lineId}/repayments', { params: { path: { lineId } }, body: { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: today } });
    expect(repaid.response.status).toBe(201);
    expect(repaid.data?.repayment).toMatchObject({ kind: 'DIRECT_REPAYMENT', saleId: null, amount: { amount: '5000.00', currency: 'USD' } });
    expect(repaid.data?.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '4880.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
    // 12 000.00 − 4 880.00 = 7 120.00
    const balances = await lineBalances(api, world);
    expect([balances.LOAN_PRINCIPAL, balances.INTEREST_RECEIVABLE, balances.COLLECTION]).toEqual(['7120.00', '0.00', '5000.00']);
    // More than the 7 120.00 still owed has nothing to repay.
    const over = await lender.POST('/credit-lines/{lineId}/repayments', { params: { path: { lineId } }, body: { amount: { amount: '7120.01', currency: 'USD' }, receivedOn: today } });
    expect({ status: over.response.status, code: over.error?.code }).toEqual({ status: 422, code: 'repayment_exceeds_owed' });
  });

  test("follows the line's own order: principal first takes the whole 5 000.00", async () => {
    const world = await drawnLine({ waterfallOrder: ['PRINCIPAL', 'INTEREST', 'FEES'] });
    const res = await api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/repayments`, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: today }).expect(201);
    expect(res.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '5000.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
  });

  test('is recorded by the lender only, never by a VIEWER; the stored repayment cannot be changed', async () => {
    const world = await drawnLine();
    const path = `/credit-lines/${world.line.id}/repayments`;
    expect((await api.post(world.custody.seller.admin, path, { amount: { amount: '1.00', currency: 'USD' }, receivedOn: today })).status).toBe(403);
    const viewer = await world.custody.lender.addUser('VIEWER');
    expect((await api.post(viewer, path, { amount: { amount: '1.00', currency: 'USD' }, receivedOn: today })).status).toBe(403);
    expect((await api.post(world.custody.lender.admin, path, { amount: { amount: 1, currency: 'USD' }, receivedOn: today })).status).toBe(400);
    await api.post(world.custody.lender.admin, path, { amount: { amount: '1.00', currency: 'USD' }, receivedOn: today }).expect(201);
    await expect(api.db.sql(`UPDATE repayment SET amount = 2 WHERE credit_line_id = $1`, [world.line.id])).rejects.toThrow(/append-only/);
  });
});

describe('seller payouts', () => {
  test('pay out at most the seller payable: Dr SELLER_PAYABLE / Cr COLLECTION', async () => {
    const world = await drawnLine({ onSale: null });
    const sale = await api
      .post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
        buyerOrganisationId: world.buyer.organisationId,
        items: [{ lotId: world.lotId, quantity: { amount: '10000', unit: 'kg' } }],
        totalPrice: { amount: '13000.00', currency: 'USD' },
        paymentDueDate: isoDay(Date.now() + 10 * DAY_MS),
      })
      .expect(201);
    await temporal.settled();
    expect(sale.body).toMatchObject({ totalPrice: { amount: '13000.00', currency: 'USD' }, feeOnSale: { amount: '0.00', currency: 'USD' }, items: [{ quantity: { amount: '10000', unit: 'kg' }, pricePerUnit: { amount: '1.3', currency: 'USD', unit: 'kg' } }] });
    // 13 000.00 → interest 120.00, principal 12 000.00, seller 880.00
    const paid = await api.post(world.custody.lender.admin, `/sales/${sale.body.id}/payments`, { amount: { amount: '13000.00', currency: 'USD' }, receivedOn: today }).expect(201);
    await temporal.settled();
    expect(paid.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '12000.00', currency: 'USD' }, toSeller: { amount: '880.00', currency: 'USD' } });
    const tooMuch = await api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/seller-payouts`, { amount: { amount: '880.01', currency: 'USD' }, paidOn: today }).expect(422);
    expect(tooMuch.body.code).toBe('payout_exceeds_seller_payable');
    await api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/seller-payouts`, { amount: { amount: '880.00', currency: 'USD' }, paidOn: today }).expect(201);
    const balances = await lineBalances(api, world);
    // 13 000.00 − 880.00 = 12 120.00 stays in the collection account
    expect([balances.SELLER_PAYABLE, balances.COLLECTION]).toEqual(['0.00', '12120.00']);
  });
});

describe('reporting a sale', () => {
  test('only goods pledged to the line, and not more than is unsold', async () => {
    const world = await drawnLine();
    const path = `/credit-lines/${world.line.id}/sales`;
    const body = { buyerOrganisationId: world.buyer.organisationId, items: [{ lotId: world.lotId, quantity: { amount: '15000', unit: 'kg' } }], pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' }, paymentDueDate: isoDay(Date.now() + DAY_MS) };
    expect((await api.post(world.custody.lender.admin, path, body)).status).toBe(403);
    await api.post(world.custody.seller.admin, path, body).expect(201);
    await temporal.settled();
    // 20 000 kg held, 15 000 kg already sold: 5 000 kg left
    const again = await api.post(world.custody.seller.admin, path, { ...body, items: [{ lotId: world.lotId, quantity: { amount: '5000.001', unit: 'kg' } }] }).expect(422);
    expect(again.body.code).toBe('quantity_not_available');
    expect(again.body.errors).toEqual([{ path: 'body.items.0.quantity', reason: again.body.detail }]);
    expect((await api.post(world.custody.seller.admin, path, { ...body, buyerOrganisationId: world.custody.lender.organisationId })).body.code).toBe('buyer_organisation_required');
    const inEuro = await api.post(world.custody.seller.admin, path, { ...body, pricePerUnit: { ...body.pricePerUnit, currency: 'EUR' } });
    expect(inEuro.status).toBe(422);
    expect(inEuro.body).toMatchObject({ code: 'currency_mismatch', errors: [{ path: 'body.pricePerUnit.currency', reason: 'is EUR; the line is in USD' }] });
    const perPound = await api.post(world.custody.seller.admin, path, { ...body, items: [{ lotId: world.lotId, quantity: { amount: '1', unit: 'kg' } }], pricePerUnit: { ...body.pricePerUnit, unit: 'lb' } });
    expect(perPound.status).toBe(400);
    expect(perPound.body.errors).toEqual([{ path: 'body.pricePerUnit.unit', reason: `is lb; lot ${world.lotId} is held in kg, so a price per unit is per kg` }]);
    expect((await api.post(world.custody.seller.admin, path, { ...body, totalPrice: { amount: '1.00', currency: 'USD' } })).status).toBe(400);
  });
});
