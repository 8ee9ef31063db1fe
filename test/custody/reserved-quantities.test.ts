/**
 * Issue #11 items 3 and 4 where custody meets sales and draws: what is sold or
 * authorised is reserved in the lot, physical losses beyond the free quantity
 * make the sale short (never a negative value, never a 500, never a paid sale
 * stuck), and every writer that can reduce coverage sees principal and
 * reserved draws. API against a real PostgreSQL; sale and draw workflows in
 * the offline harness with their real activities.
 *
 * The canonical line (test/sales/world.ts): 20 000 kg apples marked 1.20 USD/kg,
 * haircut 0, advance rate 50 % → borrowing base 20 000 × 1.20 × 0.5 = 12 000.00.
 * Every draw needs two approvers (thresholds 0), so a requested draw stays
 * reserved. The sale: 15 000 kg at 1.30 = 19 500.00; fee on sale
 * 30 days × 0.002 × 15 000 = 900.00.
 */
import { borrowingBaseQuery } from '../../prisma/custody/valuation';
import { custodyChangedSignal } from '../../workflows/sales/definitions';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, postOnLine, salesWorld, type SalesWorld } from '../sales/world';

// Each test is a whole story (sale or draw, payments, workflow to its end): on a machine shared with
// other test runs it can take longer than the suite's 30 s default.
jest.setTimeout(120_000);

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const today = isoDay(Date.now());

/** The canonical line with a draw of 2 000.00 reserved (requested, not approved) and 15 000 kg sold at 1.30, OPEN. */
async function lotInLiveSale(options: { principal?: string } = {}) {
  const world = await salesWorld(api);
  if (options.principal) {
    await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: options.principal, effectiveDate: isoDay(Date.now() - 30 * DAY_MS), description: 'Draw disbursed' });
  }
  const draw = await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/draws`, { amount: { amount: '2000.00', currency: 'USD' } });
  expect(draw.status).toBe(201);
  const sale = await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
    buyerOrganisationId: world.buyer.organisationId,
    items: [{ lotId: world.lotId, quantity: { amount: '15000', unit: 'kg' } }],
    pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
    paymentDueDate: isoDay(Date.now() + 30 * DAY_MS),
  });
  expect(sale.status).toBe(201);
  await temporal.settled();
  return { world, saleId: sale.body.id as string, saleWorkflowId: sale.body.workflowId as string, drawId: draw.body.id as string };
}

async function pay(world: SalesWorld, saleId: string, amount: string) {
  const res = await api.post(world.custody.lender.admin, `/sales/${saleId}/payments`, { amount: { amount, currency: 'USD' }, receivedOn: today });
  expect(res.status).toBe(201);
  await temporal.settled();
  return res.body;
}

async function figures(world: SalesWorld) {
  const res = await api.get(world.custody.lender.admin, `/credit-lines/${world.line.id}/borrowing-base?view=totals`);
  expect(res.status).toBe(200);
  const { totals } = await borrowingBaseQuery(api.db.prisma, { lineId: world.line.id, now: new Date(), lotsPage: null });
  return { marketValue: totals.marketValue.toFixed(), borrowingBase: totals.borrowingBase.toFixed(), availability: res.body.totals.availability.amount as string };
}

async function notified(subjectId: string, kind: string): Promise<string[]> {
  const rows = await api.db.sql<{ organisation_id: string }>(`SELECT organisation_id::text FROM notification WHERE subject_id = $1 AND kind = $2 ORDER BY organisation_id`, [subjectId, kind]);
  return rows.map((row) => row.organisation_id);
}

const parties = (world: SalesWorld) => [world.custody.lender.organisationId, world.custody.seller.organisationId, world.buyer.organisationId].sort();

describe('free quantity: sold and authorised goods are reserved', () => {
  test('a split, an unpledge, a new sale and a release order take only the free quantity, naming it', async () => {
    const { world } = await lotInLiveSale();
    // 20 000 kg held, 15 000 kg sold and not yet released: 5 000 kg free, as the lot shows every party to it
    for (const user of [world.custody.warehouse.admin, world.custody.seller.admin, world.custody.lender.admin]) {
      expect((await api.get(user, `/lots/${world.lotId}`).expect(200)).body.reserved).toEqual({
        soldNotReleased: { amount: '15000', unit: 'kg' },
        authorisedNotConfirmed: { amount: '0', unit: 'kg' },
        free: { amount: '5000', unit: 'kg' },
      });
    }
    const split = await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/splits`, { quantity: { amount: '6000', unit: 'kg' }, receiptNumber: `WR-split-${world.lotId}` });
    expect([split.status, split.body.code]).toEqual([422, 'quantity_not_available']);
    expect(split.body.detail).toContain('free quantity is 5000 kg; requested 6000 kg');
    expect(split.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.quantity']);
    const unpledge = await api.post(world.custody.lender.admin, `/lots/${world.lotId}/unpledge`);
    expect([unpledge.status, unpledge.body.code]).toEqual([422, 'quantity_not_available']);
    expect(unpledge.body.detail).toContain('free quantity is 5000 kg; requested 20000 kg');
    const order = await api.post(world.custody.lender.admin, `/lots/${world.lotId}/release-orders`, { quantity: { amount: '5000.5', unit: 'kg' } });
    expect([order.status, order.body.code]).toEqual([422, 'quantity_not_available']);
    expect(order.body.detail).toContain('free quantity is 5000 kg; requested 5000.5 kg');
    expect(order.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.quantity']);
    // An authorisation of 1 000 kg reserves it too: a sale of the other 4 000.001 kg no longer fits.
    await api.post(world.custody.lender.admin, `/lots/${world.lotId}/release-orders`, { quantity: { amount: '1000', unit: 'kg' } }).expect(201);
    expect((await api.get(world.custody.warehouse.admin, `/lots/${world.lotId}`).expect(200)).body.reserved).toEqual({
      soldNotReleased: { amount: '15000', unit: 'kg' },
      authorisedNotConfirmed: { amount: '1000', unit: 'kg' },
      free: { amount: '4000', unit: 'kg' },
    });
    const sale = await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
      buyerOrganisationId: world.buyer.organisationId,
      items: [{ lotId: world.lotId, quantity: { amount: '4000.001', unit: 'kg' } }],
      pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
      paymentDueDate: isoDay(Date.now() + DAY_MS),
    });
    expect([sale.status, sale.body.code]).toEqual([422, 'quantity_not_available']);
    expect(sale.body.detail).toContain('free quantity is 4000 kg; requested 4000.001 kg');
    // What is free still splits; the split-off part stays pledged and the line's figures do not move.
    const before = await figures(world);
    const ok = await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/splits`, { quantity: { amount: '4000', unit: 'kg' }, receiptNumber: `WR-split-ok-${world.lotId}` });
    expect(ok.status).toBe(201);
    expect([ok.body.parent.quantity, ok.body.child.quantity]).toEqual([
      { amount: '16000', unit: 'kg' },
      { amount: '4000', unit: 'kg' },
    ]);
    expect(await figures(world)).toEqual(before);
  });

  test('adjustment: a shrinkage beyond the free quantity of a paid sale is recorded, the sale goes short, everyone is told, and the sale still closes', async () => {
    const { world, saleId, saleWorkflowId } = await lotInLiveSale();
    // No principal, no interest: 19 500.00 → fee 900.00, the rest 18 600.00 to the seller. Paid in full: release authorised.
    const paid = await pay(world, saleId, '19500.00');
    expect(paid.allocation).toEqual({ fees: { amount: '900.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '0.00', currency: 'USD' }, toSeller: { amount: '18600.00', currency: 'USD' } });
    const authorised = await api.get(world.custody.seller.admin, `/sales/${saleId}`).expect(200);
    expect(authorised.body.status).toBe('RELEASE_AUTHORISED');
    const orderId = authorised.body.items[0].releaseOrderId as string;

    // 20 000 − 8 000 = 12 000 kg held; 15 000 kg were sold: 3 000 kg short.
    const adjusted = await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/adjustments`, { quantityDelta: { amount: '-8000', unit: 'kg' }, kind: 'SHRINKAGE', reason: 'dehydration' });
    expect(adjusted.status).toBe(201);
    expect(adjusted.body.quantity).toEqual({ amount: '12000', unit: 'kg' });
    const sale = await api.get(world.buyer.admin, `/sales/${saleId}`).expect(200);
    expect(sale.body.items[0]).toMatchObject({ quantity: { amount: '12000', unit: 'kg' }, quantityShort: { amount: '3000', unit: 'kg' } });
    expect(sale.body.shortAt).not.toBeNull();
    expect(await notified(saleId, 'sale.short')).toEqual(parties(world));
    const order = await api.get(world.custody.warehouse.admin, `/release-orders/${orderId}`).expect(200);
    expect(order.body).toMatchObject({ quantityAuthorised: { amount: '15000', unit: 'kg' }, quantityReleased: { amount: '0', unit: 'kg' }, quantityShort: { amount: '3000', unit: 'kg' }, status: 'OPEN' });

    // The paid goods no longer secure the line and nothing is negative: 0 kg free, value 0; the 2 000.00 draw is uncovered.
    expect(await figures(world)).toEqual({ marketValue: '0', borrowingBase: '0', availability: '-2000.00' });
    const mark = await api.post(world.custody.lender.admin, '/price-marks', {
      commodityCode: world.custody.commodityCode,
      grade: '80',
      pricePerUnit: { amount: '1.25', currency: 'USD', unit: 'kg' },
      source: 'wholesale market',
      asOf: new Date().toISOString(),
    });
    expect(mark.status).toBe(201);

    // The warehouse releases what is there; the order completes with its short part and the sale closes.
    const confirmed = await api.post(world.custody.warehouse.admin, `/release-orders/${orderId}/confirmations`, { quantity: { amount: '12000', unit: 'kg' }, releasedAt: new Date().toISOString() });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body).toMatchObject({ lotQuantityAfter: { amount: '0', unit: 'kg' }, order: { quantityReleased: { amount: '12000', unit: 'kg' }, quantityShort: { amount: '3000', unit: 'kg' }, status: 'COMPLETED' } });
    // The confirmation woke the sale's workflow through the outbox.
    const run = temporal.handle(saleWorkflowId);
    await temporal.settled();
    expect(temporal.signalled).toContainEqual({ workflowId: saleWorkflowId, signalName: custodyChangedSignal.name, args: [] });
    expect(await run.result()).toMatchObject({ saleId, outcome: 'CLOSED', releaseOrderIds: [orderId] });
  });

  test('stock count: a count far below what a partly paid sale sold values the lot at what is there, never below zero', async () => {
    const { world, saleId } = await lotInLiveSale();
    // 80 % of 19 500.00 paid: 15 600.00
    await pay(world, saleId, '15600.00');
    // Counted 2 000 kg: 13 000 kg of the 15 000 sold are short, 2 000 kg can still be delivered.
    const counted = await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/stock-counts`, { countedQuantity: { amount: '2000', unit: 'kg' }, countedAt: new Date().toISOString() });
    expect(counted.status).toBe(201);
    const sale = await api.get(world.custody.lender.admin, `/sales/${saleId}`).expect(200);
    expect(sale.body).toMatchObject({ status: 'OPEN', items: [{ quantity: { amount: '2000', unit: 'kg' }, quantityShort: { amount: '13000', unit: 'kg' } }] });
    expect(await notified(saleId, 'sale.short')).toEqual(parties(world));
    // Unpaid share of the 2 000 kg still deliverable: 2 000 × (3 900 / 19 500) × min(1.20, 1.30) = 480; the count flags the lot: lends 0.
    expect(await figures(world)).toEqual({ marketValue: '480', borrowingBase: '0', availability: '-2000.00' });
    // The buyer pays the rest; the release is authorised for the 2 000 kg there, confirmed, and the sale closes.
    await pay(world, saleId, '3900.00');
    const authorised = await api.get(world.custody.seller.admin, `/sales/${saleId}`).expect(200);
    const orderId = authorised.body.items[0].releaseOrderId as string;
    const order = await api.get(world.custody.warehouse.admin, `/release-orders/${orderId}`).expect(200);
    expect(order.body).toMatchObject({ quantityAuthorised: { amount: '2000', unit: 'kg' }, quantityShort: { amount: '0', unit: 'kg' }, status: 'OPEN' });
    await api.post(world.custody.warehouse.admin, `/release-orders/${orderId}/confirmations`, { quantity: { amount: '2000', unit: 'kg' }, releasedAt: new Date().toISOString() }).expect(201);
    const run = temporal.handle(authorised.body.workflowId);
    await temporal.settled();
    expect(temporal.signalled).toContainEqual({ workflowId: authorised.body.workflowId, signalName: custodyChangedSignal.name, args: [] });
    expect(await run.result()).toMatchObject({ outcome: 'CLOSED' });
  });

  test('a loss of everything sold: the item keeps nothing to deliver, the paid sale needs no release order and closes', async () => {
    const { world, saleId, saleWorkflowId } = await lotInLiveSale();
    await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/adjustments`, { quantityDelta: { amount: '-20000', unit: 'kg' }, kind: 'SPOILAGE', reason: 'cold room failure' }).expect(201);
    const sale = await api.get(world.custody.seller.admin, `/sales/${saleId}`).expect(200);
    expect(sale.body.items[0]).toMatchObject({ quantity: { amount: '0', unit: 'kg' }, quantityShort: { amount: '15000', unit: 'kg' } });
    expect(await figures(world)).toEqual({ marketValue: '0', borrowingBase: '0', availability: '-2000.00' });
    await pay(world, saleId, '19500.00');
    const run = temporal.handle(saleWorkflowId);
    expect(await run.result()).toMatchObject({ outcome: 'CLOSED', releaseOrderIds: [] });
  });
});

describe('coverage: every writer that can reduce it sees principal and reserved draws', () => {
  test('with no principal and a draw reserved, the seller cannot unpledge without the lender, nor the lender below zero', async () => {
    const world = await salesWorld(api);
    await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/draws`, { amount: { amount: '2000.00', currency: 'USD' } }).expect(201);
    await temporal.settled();
    const bySeller = await api.post(world.custody.seller.admin, `/lots/${world.lotId}/unpledge`);
    expect([bySeller.status, bySeller.body.code]).toEqual([422, 'lender_consent_required']);
    expect(bySeller.body.detail).toContain('0.00 USD outstanding and 2 000.00 USD in reserved draws');
    const byLender = await api.post(world.custody.lender.admin, `/lots/${world.lotId}/unpledge`);
    expect([byLender.status, byLender.body.code]).toEqual([422, 'coverage_insufficient']);
    expect(byLender.body.detail).toContain('availability would be -2 000.00 USD');
    expect(await figures(world)).toMatchObject({ borrowingBase: '12000', availability: '10000.00' });
  });

  test('a physical loss is recorded whatever the figures, and the lender and seller are told of the shortfall', async () => {
    const world = await salesWorld(api);
    await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '9000.00', effectiveDate: today, description: 'Draw disbursed' });
    await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/draws`, { amount: { amount: '2000.00', currency: 'USD' } }).expect(201);
    await temporal.settled();
    // 20 000 − 5 000 = 15 000 kg × 1.20 × 0.5 = 9 000.00; 9 000.00 − 9 000.00 − 2 000.00 = −2 000.00
    const adjusted = await api.post(world.custody.warehouse.admin, `/lots/${world.lotId}/adjustments`, { quantityDelta: { amount: '-5000', unit: 'kg' }, kind: 'DAMAGE', reason: 'forklift' });
    expect(adjusted.status).toBe(201);
    expect(await figures(world)).toMatchObject({ borrowingBase: '9000', availability: '-2000.00' });
    expect(await notified(world.line.id, 'credit_line.coverage_shortfall')).toEqual([world.custody.lender.organisationId, world.custody.seller.organisationId].sort());
    // A loss that leaves the line covered tells nobody.
    const other = await salesWorld(api);
    await api.post(other.custody.warehouse.admin, `/lots/${other.lotId}/adjustments`, { quantityDelta: { amount: '-5000', unit: 'kg' }, kind: 'DAMAGE', reason: 'forklift' }).expect(201);
    expect(await notified(other.line.id, 'credit_line.coverage_shortfall')).toEqual([]);
  });

  test("a lender's release of pledged goods that would leave the line short of principal and reserved draws is refused at confirmation", async () => {
    const world = await salesWorld(api);
    await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '9000.00', effectiveDate: today, description: 'Draw disbursed' });
    await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/draws`, { amount: { amount: '2000.00', currency: 'USD' } }).expect(201);
    await temporal.settled();
    // Availability 12 000.00 − 9 000.00 − 2 000.00 = 1 000.00: at most 1 000.00 / (1.20 × 0.5) = 1 666.66… kg may leave.
    const order = await api.post(world.custody.lender.admin, `/lots/${world.lotId}/release-orders`, { quantity: { amount: '2000', unit: 'kg' } }).expect(201);
    const tooMuch = await api.post(world.custody.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, { quantity: { amount: '2000', unit: 'kg' }, releasedAt: new Date().toISOString() });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([422, 'coverage_insufficient']);
    // 2 000 kg leaving: 18 000 × 0.6 = 10 800.00 − 11 000.00 = −200.00
    expect(tooMuch.body.detail).toContain('availability would be -200.00 USD');
    expect((await api.get(world.custody.warehouse.admin, `/lots/${world.lotId}`).expect(200)).body.quantity).toEqual({ amount: '20000', unit: 'kg' });
    const fits = await api.post(world.custody.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, { quantity: { amount: '1500', unit: 'kg' }, releasedAt: new Date().toISOString() });
    expect(fits.status).toBe(201);
    // 18 500 × 0.6 = 11 100.00 − 11 000.00 = 100.00
    expect(await figures(world)).toMatchObject({ borrowingBase: '11100', availability: '100.00' });
  });
});
