/**
 * Concentration limits through the API: every reader of the borrowing base sees
 * the same cut figure (domain/concentration.ts, prisma/custody/valuation.ts).
 *
 * The world: haircut 0.2, advance rate 0.5, limit 2 000 000.00 USD.
 *   apples 100 000 kg × 15.00 at warehouse W1 = 1 500 000 market, 1 200 000 collateral, 600 000 lending
 *   pears  100 000 kg × 10.00 at warehouse W2 = 1 000 000 market,   800 000 collateral, 400 000 lending
 * Under a 50 % limit (commodity or warehouse: here they group the lots alike) apples may provide
 * at most half of the base after the cut: 0.5 × 400 000 ÷ (1 − 0.5) = 400 000. The base is
 * 800 000; apples' cut of 200 000 lending value is 200 000 ÷ 600 000 of its collateral,
 * 400 000, so the eligible collateral value is 2 000 000 − 400 000 = 1 600 000.
 */
import { randomUUID } from 'node:crypto';
import { utcDay } from '../../domain/value-dates';
import { borrowingBaseQuery, borrowingBaseTotalsOfLines } from '../../prisma/custody/valuation';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';
import { lineTerms, offerAndAccept, usd } from '../draws/factories';
import { draw, evaluate, liveCall } from '../margin/support';

let api: TestApi;
let temporal: HarnessTemporal | undefined;
beforeAll(async () => {
  // Draws start their workflow (offline harness); the harness needs the database's URL, known once the API exists.
  api = await createTestApi({
    temporal: (url) => (temporal = new HarnessTemporal({ databaseUrl: url })),
  });
});
afterAll(() => api.close());

interface ConcentrationWorld {
  world: CustodyWorld;
  pearCode: string;
  secondWarehouse: CustodyWorld;
  lineId: string;
  appleLotId: string;
  pearLotId: string;
}

async function concentrationWorld(concentrationLimits: object | null): Promise<ConcentrationWorld> {
  const world = await custodyWorld(api, { grades: ['80'] });
  const pearCode = `PEAR_${randomUUID().slice(0, 8).toUpperCase()}`;
  await api.post(world.warehouse.admin, '/commodities', { code: pearCode, name: 'Pears', unit: 'kg', grades: ['80'] }).expect(201);
  const w2 = await api.post(world.warehouse.admin, '/warehouses', { name: 'Cold store south' }).expect(201);
  const room2 = await api.post(world.warehouse.admin, `/warehouses/${w2.body.id}/locations`, { name: 'Room B', kind: 'STORE_ROOM' }).expect(201);
  const secondWarehouse: CustodyWorld = { ...world, warehouseId: w2.body.id, roomId: room2.body.id };
  const terms = { ...lineTerms({ approvedWarehouseIds: [world.warehouseId, secondWarehouse.warehouseId] }), limit: usd('2000000.00'), ...(concentrationLimits ? { concentrationLimits } : {}) };
  const lineId = await offerAndAccept(api, world.lender, world.seller, terms);
  const apples = await receiveLot(api, world, { quantity: '100000' });
  const pears = await receiveLot(api, secondWarehouse, { quantity: '100000', commodityCode: pearCode });
  for (const lot of [apples, pears]) await api.post(world.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId }).expect(201);
  const asOf = new Date().toISOString();
  await api.post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '15.00', currency: 'USD', unit: 'kg' }, source: 'test', asOf }).expect(201);
  await api.post(world.lender.admin, '/price-marks', { commodityCode: pearCode, grade: '80', pricePerUnit: { amount: '10.00', currency: 'USD', unit: 'kg' }, source: 'test', asOf }).expect(201);
  return { world, pearCode, secondWarehouse, lineId, appleLotId: apples.id, pearLotId: pears.id };
}

const borrowingBase = async (setup: ConcentrationWorld) => (await api.get(setup.world.lender.admin, `/credit-lines/${setup.lineId}/borrowing-base`).expect(200)).body;

test('a 50 % commodity limit cuts apples to 400 000: the lot shows the reason and its excess, the base is 800 000', async () => {
  const setup = await concentrationWorld({ commodity: '0.5' });
  const body = await borrowingBase(setup);
  const byId = Object.fromEntries(body.lots.map((lot: { lotId: string }) => [lot.lotId, lot]));
  expect(byId[setup.appleLotId]).toMatchObject({ collateralValue: usd('1200000.00'), lendingValue: usd('400000.00'), concentrationExcess: usd('200000.00'), eligible: true, reasons: ['CONCENTRATION_COMMODITY'] });
  expect(byId[setup.pearLotId]).toMatchObject({ collateralValue: usd('800000.00'), lendingValue: usd('400000.00'), concentrationExcess: usd('0.00'), eligible: true, reasons: [] });
  expect(body.totals).toMatchObject({
    lotCount: 2,
    eligibleLotCount: 2,
    collateralValue: usd('2000000.00'),
    eligibleCollateralValue: usd('1600000.00'),
    borrowingBase: usd('800000.00'),
    concentrationExcess: usd('200000.00'),
    availability: usd('800000.00'), // min(2 000 000, 800 000) − 0 − 0
  });
  // The seller reads the same figures.
  const seller = (await api.get(setup.world.seller.admin, `/credit-lines/${setup.lineId}/borrowing-base?view=totals`).expect(200)).body;
  expect(seller.totals).toMatchObject({ borrowingBase: usd('800000.00'), availability: usd('800000.00') });
});

test('draws see the cut: 800 000.01 is refused and 800 000.00 reserved, where without the limit the line would lend 1 000 000', async () => {
  const setup = await concentrationWorld({ commodity: '0.5' });
  const seller = await setup.world.seller.addUser('OPERATOR');
  const refused = await api.post(seller, `/credit-lines/${setup.lineId}/draws`, { amount: usd('800000.01'), purpose: 'working capital' });
  expect(refused.status).toBe(422);
  expect(refused.body.detail).toBe('availability is 800 000.00 USD; requested 800 000.01 USD');
  const reserved = await api.post(seller, `/credit-lines/${setup.lineId}/draws`, { amount: usd('800000.00'), purpose: 'working capital' });
  expect(reserved.status).toBe(201);
  await temporal!.handle(reserved.body.workflowId).settled();
  expect((await borrowingBase(setup)).totals).toMatchObject({ reservedDraws: usd('800000.00'), availability: usd('0.00'), noAvailabilityReason: 'FULLY_DRAWN' });
});

test('margin sees the cut: 1 040 000 outstanding is LTV 0.65 of 1 600 000 (not 0.52 of 2 000 000), above the 0.6 call, and the call asks 1 040 000 − 0.4 × 1 600 000 = 400 000.00', async () => {
  const setup = await concentrationWorld({ commodity: '0.5' });
  await draw(api, setup.lineId, '1040000.00');
  expect((await borrowingBase(setup)).totals.ltv).toBe('0.65');
  await evaluate(api, setup.lineId, new Date());
  const call = await liveCall(api, setup.lineId);
  expect(call).toMatchObject({ status: 'OPEN' });
  expect(call!.requiredRepayment.toFixed(2)).toBe('400000.00');
});

test('the history endpoint shows today with the same cut figure', async () => {
  const setup = await concentrationWorld({ warehouse: '0.5' });
  const today = utcDay(new Date());
  const history = (await api.get(setup.world.lender.admin, `/credit-lines/${setup.lineId}/history?from=${today}&to=${today}`).expect(200)).body;
  expect(history.points).toEqual([expect.objectContaining({ date: today, borrowingBase: usd('800000.00'), eligibleCollateralValue: usd('1600000.00'), availability: usd('800000.00') })]);
});

test('an amendment sets a warehouse limit: it worsens the seller\'s terms, is accepted, and from then on W1 is cut with the warehouse reason', async () => {
  const setup = await concentrationWorld(null);
  expect((await borrowingBase(setup)).totals).toMatchObject({ borrowingBase: usd('1000000.00'), concentrationExcess: usd('0.00') });
  const today = utcDay(new Date());
  const proposed = await api.post(setup.world.lender.admin, `/credit-lines/${setup.lineId}/terms`, { effectiveFrom: today, terms: { concentrationLimits: { warehouse: '0.5' } } }).expect(201);
  expect(proposed.body).toMatchObject({ status: 'PENDING_APPROVAL', worsenings: ['concentrationLimits.warehouse'], terms: { concentrationLimits: { commodity: null, warehouse: '0.5', lot: null } } });
  const approver = await setup.world.lender.addUser('APPROVER');
  await api.post(approver, `/credit-lines/${setup.lineId}/terms/${proposed.body.versionNo}/approve`).expect(200);
  expect((await borrowingBase(setup)).totals.borrowingBase).toEqual(usd('1000000.00'));
  const accepted = await api.post(setup.world.seller.admin, `/credit-lines/${setup.lineId}/terms/${proposed.body.versionNo}/accept`).expect(200);
  expect(accepted.body.status).toBe('AGREED');
  const body = await borrowingBase(setup);
  expect(body.totals).toMatchObject({ borrowingBase: usd('800000.00'), concentrationExcess: usd('200000.00'), eligibleCollateralValue: usd('1600000.00') });
  expect(body.lots.find((lot: { lotId: string }) => lot.lotId === setup.appleLotId)).toMatchObject({ lendingValue: usd('400000.00'), reasons: ['CONCENTRATION_WAREHOUSE'] });
  const line = (await api.get(setup.world.seller.admin, `/credit-lines/${setup.lineId}`).expect(200)).body;
  expect(line.terms.concentrationLimits).toEqual({ commodity: null, warehouse: '0.5', lot: null });
  // The statement of the day shows the change of terms.
  const statement = (await api.get(setup.world.seller.admin, `/credit-lines/${setup.lineId}/statement?from=${today}&to=${today}`).expect(200)).body;
  expect(statement.termsChanges).toEqual([expect.objectContaining({ versionNo: proposed.body.versionNo, effectiveFrom: today, changedFields: ['concentrationLimits'], worsenings: ['concentrationLimits.warehouse'] })]);
});

test('a limit outside (0, 1] is refused naming the field', async () => {
  const world = await custodyWorld(api);
  const res = await api.post(world.lender.admin, '/credit-lines', {
    sellerOrganisationId: world.seller.organisationId,
    terms: { ...lineTerms({ approvedWarehouseIds: [world.warehouseId] }), concentrationLimits: { lot: '1.5' } },
  });
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toContain('body.terms.concentrationLimits.lot');
});

test('coverage sees the cut: with 100 000.00 outstanding, unpledging the pears would leave apples alone, which provide all of any base under a 50 % limit, so it is refused', async () => {
  const setup = await concentrationWorld({ commodity: '0.5' });
  await draw(api, setup.lineId, '100000.00');
  // The lender consents; the coverage check still stands between the consent and the goods.
  await api.post(setup.world.lender.admin, `/lots/${setup.pearLotId}/unpledge-consent`).expect(201);
  const refused = await api.post(setup.world.seller.admin, `/lots/${setup.pearLotId}/unpledge`);
  expect(refused.status).toBe(422);
  // Apples alone: a base of 0, where without the limit they would lend 600 000.
  expect(refused.body).toMatchObject({ code: 'coverage_insufficient', detail: expect.stringContaining('availability would be -100 000.00 USD') });
  expect((await borrowingBase(setup)).totals).toMatchObject({ lotCount: 2, borrowingBase: usd('800000.00') });
});

test('the set-based revaluation and the single line agree on the cut figures', async () => {
  const limited = await concentrationWorld({ commodity: '0.5' });
  const unlimited = await concentrationWorld(null);
  const now = new Date();
  const set = await borrowingBaseTotalsOfLines(api.db.prisma, { lineIds: [limited.lineId, unlimited.lineId], now });
  for (const line of set) {
    const single = await borrowingBaseQuery(api.db.prisma, { lineId: line.lineId, now, lotsPage: null });
    expect(line.totals).toEqual(single.totals);
  }
  expect(Object.fromEntries(set.map((line) => [line.lineId, line.totals.borrowingBase.toFixed()]))).toEqual({ [limited.lineId]: '800000', [unlimited.lineId]: '1000000' });
});
