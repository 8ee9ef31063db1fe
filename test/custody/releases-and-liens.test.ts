import { createTestApi, type TestApi } from '../support/api';
import { createCreditLine, custodyWorld, drawPrincipal, receiveLot, type CustodyWorld } from './factories';

let api: TestApi;
let world: CustodyWorld;

beforeAll(async () => {
  // Enough connections that parallel requests really contend for the lot row.
  api = await createTestApi({ poolMax: 20 });
  world = await custodyWorld(api);
});
afterAll(() => api.close());

const released = (quantity: string) => ({ quantity: { amount: quantity, unit: 'kg' }, releasedAt: '2026-11-23T09:00:00Z' });

async function lotQuantity(lotId: string): Promise<string> {
  return (await api.get(world.warehouse.admin, `/lots/${lotId}`).expect(200)).body.quantity.amount;
}

async function pledgedLot(quantity = '1000') {
  const lot = await receiveLot(api, world, { quantity });
  const line = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
  await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
  return { lot, line };
}

describe('releases', () => {
  test("an unpledged lot is released on the seller's instruction and the warehouse confirms what left", async () => {
    const lot = await receiveLot(api, world, { quantity: '100' });
    const order = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '40', unit: 'kg' } }).expect(201);
    expect(order.body).toMatchObject({ kind: 'SELLER_INSTRUCTION', quantityAuthorised: { amount: '40', unit: 'kg' }, quantityReleased: { amount: '0', unit: 'kg' }, status: 'OPEN', creditLineId: null });
    const first = await api.post(world.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, released('39.5')).expect(201);
    expect(first.body).toMatchObject({ lotQuantityAfter: { amount: '60.5', unit: 'kg' }, order: { quantityReleased: { amount: '39.5', unit: 'kg' }, status: 'OPEN' } });
    const over = await api.post(world.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, released('0.6'));
    expect(over.status).toBe(422);
    expect(over.body.code).toBe('release_exceeds_authorisation');
    const rest = await api.post(world.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, released('0.5')).expect(201);
    expect(rest.body.order.status).toBe('COMPLETED');
    expect(await lotQuantity(lot.id)).toBe('60');
    const events = (await api.get(world.seller.admin, `/lots/${lot.id}/events`)).body.items;
    expect(events.filter((e: { type: string }) => e.type === 'RELEASED').map((e: { quantityBefore: { amount: string }; quantityAfter: { amount: string } }) => [e.quantityBefore.amount, e.quantityAfter.amount])).toEqual([
      ['100', '60.5'],
      ['60.5', '60'],
    ]);
  });

  test('nobody but the seller orders the release of an unpledged lot, and only the warehouse confirms it', async () => {
    const lot = await receiveLot(api, world, { quantity: '100' });
    expect((await api.post(world.warehouse.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '1', unit: 'kg' } })).status).toBe(403);
    expect((await api.post(world.lender.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '1', unit: 'kg' } })).status).toBe(404);
    const order = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '10', unit: 'kg' } }).expect(201);
    expect((await api.post(world.seller.admin, `/release-orders/${order.body.id}/confirmations`, released('1'))).status).toBe(403);
    const stranger = await api.organisation('WAREHOUSE');
    expect((await api.post(stranger.admin, `/release-orders/${order.body.id}/confirmations`, released('1'))).status).toBe(404);
    expect((await api.get(stranger.admin, `/release-orders/${order.body.id}`)).status).toBe(404);
    expect((await api.get(world.seller.admin, `/release-orders/${order.body.id}`)).status).toBe(200);
  });

  test('an order may not exceed what the lot holds', async () => {
    const lot = await receiveLot(api, world, { quantity: '5' });
    const res = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '5.01', unit: 'kg' } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('release_exceeds_quantity_held');
  });

  test("a pledged lot leaves only against the lender's authorisation, for the quantity authorised", async () => {
    const { lot, line } = await pledgedLot('1000');
    const refused = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '10', unit: 'kg' } });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('lot_pledged');
    const auth = await api.post(world.lender.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '300', unit: 'kg' } }).expect(201);
    expect(auth.body).toMatchObject({ kind: 'LENDER_AUTHORISATION', creditLineId: line.id });
    expect((await api.post(world.warehouse.admin, `/release-orders/${auth.body.id}/confirmations`, released('300.000001'))).status).toBe(422);
    await api.post(world.warehouse.admin, `/release-orders/${auth.body.id}/confirmations`, released('300')).expect(201);
    expect(await lotQuantity(lot.id)).toBe('700');
  });

  test("a seller's instruction given before the lot was pledged no longer lets goods leave", async () => {
    const lot = await receiveLot(api, world, { quantity: '50' });
    const order = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '50', unit: 'kg' } }).expect(201);
    const line = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
    const res = await api.post(world.warehouse.admin, `/release-orders/${order.body.id}/confirmations`, released('1'));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('lot_pledged');
  });

  test('concurrent confirmations against one authorisation: exactly as many succeed as the authorisation allows', async () => {
    const { lot } = await pledgedLot('100');
    const auth = await api.post(world.lender.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '10', unit: 'kg' } }).expect(201);
    const attempts = 20;
    const results = await Promise.all(
      Array.from({ length: attempts }, () => api.post(world.warehouse.admin, `/release-orders/${auth.body.id}/confirmations`, released('1.5'))),
    );
    const statuses = results.map((r) => r.status);
    // 6 × 1.5 = 9 ≤ 10 < 7 × 1.5
    expect(statuses.filter((s) => s === 201)).toHaveLength(6);
    expect(statuses.filter((s) => s === 422)).toHaveLength(attempts - 6);
    expect(await lotQuantity(lot.id)).toBe('91');
    expect((await api.get(world.lender.admin, `/release-orders/${auth.body.id}`)).body.quantityReleased).toEqual({ amount: '9', unit: 'kg' });
  });

  test('release orders reserve what they authorise, and concurrent confirmations and a loss never take the lot below zero', async () => {
    const lot = await receiveLot(api, world, { quantity: '10' });
    const orders = [];
    for (let i = 0; i < 2; i += 1) orders.push((await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '4', unit: 'kg' } }).expect(201)).body.id);
    // 10 kg held, 2 × 4 kg authorised and not yet confirmed: 2 kg free
    const third = await api.post(world.seller.admin, `/lots/${lot.id}/release-orders`, { quantity: { amount: '4', unit: 'kg' } });
    expect(third.status).toBe(422);
    expect(third.body.code).toBe('quantity_not_available');
    expect(third.body.detail).toContain('free quantity is 2 kg; requested 4 kg');
    const results = await Promise.all([
      ...orders.map((id) => api.post(world.warehouse.admin, `/release-orders/${id}/confirmations`, released('4'))),
      api.post(world.warehouse.admin, `/lots/${lot.id}/adjustments`, { quantityDelta: { amount: '-2', unit: 'kg' }, kind: 'SHRINKAGE', reason: 'dried out' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(await lotQuantity(lot.id)).toBe('0');
    const rows = await api.db.sql<{ before: string; after: string }>(
      `SELECT quantity_before::text AS before, quantity_after::text AS after FROM custody_event WHERE lot_id = $1 AND type IN ('RELEASED', 'ADJUSTED') ORDER BY seq`,
      [lot.id],
    );
    // Serialised on the lot: each step starts from what the previous one left, ending at 0.
    expect(rows.map((r) => Number(r.before) - Number(r.after)).sort()).toEqual([2, 4, 4]);
    expect(rows.every((r, i) => i === 0 || Number(r.before) === Number(rows[i - 1].after))).toBe(true);
    expect(Number(rows[2].after)).toBe(0);
  });
});

describe('liens', () => {
  test('a seller pledges only to a line on which it is the borrower, and to one line at a time', async () => {
    const lot = await receiveLot(api, world);
    const otherSeller = await api.organisation('SELLER');
    const foreignLine = await createCreditLine(api.db.prisma, world.lender.organisationId, otherSeller.organisationId);
    expect((await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: foreignLine.id })).status).toBe(404);
    const line = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    const second = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
    expect((await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: second.id })).status).toBe(409);
    expect((await api.post(world.lender.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id })).status).toBe(403);
  });

  test('concurrent pledges of one lot to two lines: exactly one wins', async () => {
    const lot = await receiveLot(api, world);
    const a = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    const b = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId);
    const results = await Promise.all([a, b, a, b].map((line) => api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });

  test('with nothing outstanding the seller unpledges without consent', async () => {
    const { lot } = await pledgedLot();
    await api.post(world.seller.admin, `/lots/${lot.id}/unpledge`).expect(201);
    expect((await api.get(world.seller.admin, `/lots/${lot.id}`)).body.pledgedToCreditLineId).toBeNull();
    expect((await api.get(world.lender.admin, `/lots/${lot.id}`)).status).toBe(404);
  });

  test("with principal outstanding, unpledging needs the lender's consent and must leave availability zero or more", async () => {
    // Line: haircut 0.2, advance 0.5, no marks → these lots lend nothing, so post a fresh mark.
    const lenderUser = world.lender.admin;
    const line = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId, { maxMarkAgeHours: 1000000 });
    const kept = await receiveLot(api, world, { quantity: '1000' });
    const leaving = await receiveLot(api, world, { quantity: '1000' });
    for (const lot of [kept, leaving]) await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: line.id }).expect(201);
    await api.post(lenderUser, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '2.5', currency: 'USD', unit: 'kg' }, source: 'test', asOf: new Date().toISOString() }).expect(201);
    // Each lot lends 1000 × 2.5 × 0.8 × 0.5 = 1000; base 2000.
    await drawPrincipal(api.db.prisma, line, '1000.01');
    const noConsent = await api.post(world.seller.admin, `/lots/${leaving.id}/unpledge`);
    expect(noConsent.status).toBe(422);
    expect(noConsent.body.code).toBe('lender_consent_required');
    await api.post(lenderUser, `/lots/${leaving.id}/unpledge-consent`).expect(201);
    const negative = await api.post(world.seller.admin, `/lots/${leaving.id}/unpledge`);
    expect(negative.status).toBe(422);
    expect(negative.body.code).toBe('coverage_insufficient');
    expect(negative.body.detail).toContain('-0.01');
    // The seller cannot consent for the lender.
    expect((await api.post(world.seller.admin, `/lots/${leaving.id}/unpledge-consent`)).status).toBe(403);
    const repaidLine = await createCreditLine(api.db.prisma, world.lender.organisationId, world.seller.organisationId, { maxMarkAgeHours: 1000000 });
    const a = await receiveLot(api, world, { quantity: '1000' });
    const b = await receiveLot(api, world, { quantity: '1000' });
    for (const lot of [a, b]) await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: repaidLine.id }).expect(201);
    await drawPrincipal(api.db.prisma, repaidLine, '1000');
    await api.post(lenderUser, `/lots/${b.id}/unpledge-consent`).expect(201);
    await api.post(world.seller.admin, `/lots/${b.id}/unpledge`).expect(201);
  });
});
