/**
 * What the trust model guarantees across modules: an offer the seller has not accepted takes no pledge and
 * no draw, and goods in a warehouse the lender has not approved for the line lend nothing (the reason shown),
 * whoever received them.
 */
import { createTestApi, type TestApi, type TestUser } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { custodyWorld, receiveLot } from '../custody/factories';
import { drawLine, lineTerms, usd } from '../draws/factories';

let api: TestApi;
let temporal: HarnessTemporal | undefined;

beforeAll(async () => {
  api = await createTestApi({ temporal: (url) => (temporal = new HarnessTemporal({ databaseUrl: url })) });
});
afterAll(() => api.close());

async function totals(lineId: string, user: TestUser) {
  return (await api.get(user, `/credit-lines/${lineId}/borrowing-base`).expect(200)).body;
}

describe('an offer is not a line', () => {
  test('a line the seller has not accepted takes no pledge and no draw; after acceptance it does', async () => {
    expect(temporal).toBeDefined();
    const world = await custodyWorld(api);
    const offered = await api.post(world.lender.admin, '/credit-lines', { sellerOrganisationId: world.seller.organisationId, terms: lineTerms({ approvedWarehouseIds: [world.warehouseId] }) });
    expect(offered.status).toBe(201);
    const lineId = offered.body.id as string;
    const lot = await receiveLot(api, world, { quantity: '10000' });

    const pledge = await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId });
    expect(pledge.status).toBe(422);
    expect(pledge.body).toMatchObject({ code: 'credit_line_not_active', detail: `credit line ${lineId} is OFFERED; goods can be pledged only to an ACTIVE line` });
    const draw = await api.post(world.seller.admin, `/credit-lines/${lineId}/draws`, { amount: usd('100.00') });
    expect(draw.status).toBe(422);
    expect(draw.body).toMatchObject({ code: 'credit_line_not_active', detail: `credit line ${lineId} is OFFERED; draws are made only on an ACTIVE line` });
    expect(await api.db.prisma.draw.count({ where: { creditLineId: lineId } })).toBe(0);
    expect(await api.db.prisma.lien.count({ where: { creditLineId: lineId } })).toBe(0);

    await api.post(world.seller.admin, `/credit-lines/${lineId}/accept`).expect(200);
    expect((await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId })).status).toBe(201);
  });

  test('a withdrawn or declined offer takes no pledge either', async () => {
    const world = await custodyWorld(api);
    const lot = await receiveLot(api, world, { quantity: '10' });
    for (const [who, change] of [[world.lender.admin, 'withdraw'], [world.seller.admin, 'decline']] as const) {
      const lineId = (await api.post(world.lender.admin, '/credit-lines', { sellerOrganisationId: world.seller.organisationId, terms: lineTerms() }).expect(201)).body.id;
      await api.post(who, `/credit-lines/${lineId}/${change}`).expect(200);
      const pledge = await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId });
      expect(pledge.status).toBe(422);
      expect(pledge.body.code).toBe('credit_line_not_active');
    }
  });
});

describe('approved warehouses', () => {
  test('goods in a warehouse the lender has not approved for the line are ineligible (WAREHOUSE_NOT_APPROVED); availability does not move', async () => {
    const line = await drawLine(api);
    const before = await totals(line.lineId, line.world.lender.admin);
    // 10 000 kg × 3.125 × 0.8 × 0.5 = 12 500.00 from the approved cold store.
    expect(before.totals).toMatchObject({ borrowingBase: { amount: '12500.00', currency: 'USD' }, availability: { amount: '12500.00', currency: 'USD' } });

    // A second custodian the lender onboarded, but did not approve for this line, receives 1 000 000 kg.
    const elsewhere = await api.counterpart(line.world.lender, 'WAREHOUSE');
    const store = (await api.post(elsewhere.admin, '/warehouses', { name: 'Unapproved store' }).expect(201)).body.id as string;
    const room = (await api.post(elsewhere.admin, `/warehouses/${store}/locations`, { name: 'R', kind: 'STORE_ROOM' }).expect(201)).body.id as string;
    const received = await api.post(elsewhere.admin, `/warehouses/${store}/lots`, {
      sellerOrganisationId: line.world.seller.organisationId,
      commodityCode: line.world.commodityCode,
      grade: '80',
      quantity: { amount: '1000000', unit: 'kg' },
      locationId: room,
      receivedAt: '2026-11-20T08:00:00Z',
      receiptNumber: 'GHOST-1',
    });
    expect(received.status).toBe(201);
    const ghostLot = received.body.id as string;
    await api.post(line.world.seller.admin, `/lots/${ghostLot}/pledge`, { creditLineId: line.lineId }).expect(201);

    const after = await totals(line.lineId, line.world.seller.admin);
    const ghost = after.lots.find((lot: { lotId: string }) => lot.lotId === ghostLot);
    // 1 000 000 kg × 3.125 = 3 125 000 market value, × 0.8 = 2 500 000 collateral value, lending nothing.
    expect(ghost).toMatchObject({ marketValue: { amount: '3125000.00', currency: 'USD' }, collateralValue: { amount: '2500000.00', currency: 'USD' }, lendingValue: { amount: '0.00', currency: 'USD' }, eligible: false, reasons: ['WAREHOUSE_NOT_APPROVED'] });
    expect(after.totals).toMatchObject({ lotCount: 2, eligibleLotCount: 1, borrowingBase: { amount: '12500.00', currency: 'USD' }, availability: { amount: '12500.00', currency: 'USD' }, eligibleCollateralValue: { amount: '25000.00', currency: 'USD' } });

    const overdraw = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('12500.01') });
    expect(overdraw.status).toBe(422);
    expect(overdraw.body.code).toBe('insufficient_availability');
  });
});
