/**
 * GET /portfolio/exposure: a lender's exposure across its lines in force.
 *
 * Lender A, haircut 0.2, advance rate 0.5:
 *   line 1, seller S1, commodity limit 50 %: apples 100 000 kg × 15.00 at W1 (collateral 1 200 000, lending 600 000)
 *           and pears 100 000 kg × 10.00 at W2 (collateral 800 000, lending 400 000); apples are cut to
 *           0.5 × 400 000 ÷ 0.5 = 400 000, and 400 000 of their collateral is no longer eligible.
 *           Outstanding 500 000.00.
 *   line 2, seller S2, no limit: apples 10 000 kg × 15.00 at W2 (collateral 120 000, lending 60 000). Outstanding 30 000.00.
 *   line 3, offered to S2 and not accepted: not in force, not exposure.
 */
import { randomUUID } from 'node:crypto';
import { createTestApi, type TestApi } from '../support/api';
import { custodyWorld, receiveLot, type CustodyWorld } from '../custody/factories';
import { lineTerms, offerAndAccept } from '../draws/factories';
import { draw } from '../margin/support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

const usd = (amount: string) => ({ amount, currency: 'USD' });
const figures = (outstandingPrincipal: string, borrowingBase: string, collateralValue: string, eligibleCollateralValue: string) => ({
  outstandingPrincipal: usd(outstandingPrincipal),
  borrowingBase: usd(borrowingBase),
  collateralValue: usd(collateralValue),
  eligibleCollateralValue: usd(eligibleCollateralValue),
});

async function portfolio() {
  const world = await custodyWorld(api, { grades: ['80'] });
  const pearCode = `PEAR_${randomUUID().slice(0, 8).toUpperCase()}`;
  await api.post(world.warehouse.admin, '/commodities', { code: pearCode, name: 'Pears', unit: 'kg', grades: ['80'] }).expect(201);
  const w2 = await api.post(world.warehouse.admin, '/warehouses', { name: 'Cold store south' }).expect(201);
  const room2 = await api.post(world.warehouse.admin, `/warehouses/${w2.body.id}/locations`, { name: 'Room B', kind: 'STORE_ROOM' }).expect(201);
  const secondSeller = await api.counterpart(world.lender, 'SELLER');
  const atW2: CustodyWorld = { ...world, warehouseId: w2.body.id, roomId: room2.body.id };
  const approvedWarehouseIds = [world.warehouseId, atW2.warehouseId];
  const line1 = await offerAndAccept(api, world.lender, world.seller, { ...lineTerms({ approvedWarehouseIds }), limit: usd('2000000.00'), concentrationLimits: { commodity: '0.5' } });
  const line2 = await offerAndAccept(api, world.lender, secondSeller, { ...lineTerms({ approvedWarehouseIds }), limit: usd('2000000.00') });
  await api.post(world.lender.admin, '/credit-lines', { sellerOrganisationId: secondSeller.organisationId, terms: lineTerms({ approvedWarehouseIds }) }).expect(201);
  const pledge = async (at: CustodyWorld, seller: typeof world.seller, lineId: string, quantity: string, commodityCode: string) => {
    const lot = await receiveLot(api, { ...at, seller }, { quantity, commodityCode });
    await api.post(seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: lineId }).expect(201);
  };
  await pledge(world, world.seller, line1, '100000', world.commodityCode);
  await pledge(atW2, world.seller, line1, '100000', pearCode);
  await pledge(atW2, secondSeller, line2, '10000', world.commodityCode);
  const asOf = new Date().toISOString();
  await api.post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '15.00', currency: 'USD', unit: 'kg' }, source: 'test', asOf }).expect(201);
  await api.post(world.lender.admin, '/price-marks', { commodityCode: pearCode, grade: '80', pricePerUnit: { amount: '10.00', currency: 'USD', unit: 'kg' }, source: 'test', asOf }).expect(201);
  await draw(api, line1, '500000.00');
  await draw(api, line2, '30000.00');
  return { world, pearCode, secondSeller, line1Id: line1, w1: world.warehouseId, w2: atW2.warehouseId as string };
}

test('exact exposure by seller, commodity and warehouse, each summing to the totals; the concentration cut is in the figures', async () => {
  const { world, pearCode, secondSeller, line1Id, w1, w2 } = await portfolio();
  const res = await api.get(world.lender.admin, '/portfolio/exposure').expect(200);
  expect(res.body.currencies).toHaveLength(1);
  const [exposure] = res.body.currencies;
  expect(exposure).toMatchObject({ currency: 'USD', lineCount: 2 });
  // 500 000 + 30 000; 800 000 + 60 000; 2 000 000 + 120 000; 1 600 000 + 120 000.
  expect(exposure.totals).toEqual(figures('530000.00', '860000.00', '2120000.00', '1720000.00'));
  expect(exposure.bySeller).toEqual(
    [
      { sellerOrganisationId: world.seller.organisationId, sellerName: expect.any(String), lineCount: 1, figures: figures('500000.00', '800000.00', '2000000.00', '1600000.00') },
      { sellerOrganisationId: secondSeller.organisationId, sellerName: expect.any(String), lineCount: 1, figures: figures('30000.00', '60000.00', '120000.00', '120000.00') },
    ].sort((a, b) => (a.sellerOrganisationId < b.sellerOrganisationId ? -1 : 1)),
  );
  // Line 1's 500 000 follows its borrowing base, 400 000 apples : 400 000 pears.
  expect(exposure.byCommodity).toEqual([
    { commodityCode: world.commodityCode, figures: figures('280000.00', '460000.00', '1320000.00', '920000.00') },
    { commodityCode: pearCode, figures: figures('250000.00', '400000.00', '800000.00', '800000.00') },
  ]);
  const byWarehouse = Object.fromEntries(exposure.byWarehouse.map((group: { warehouseId: string; figures: unknown }) => [group.warehouseId, group.figures]));
  expect(byWarehouse).toEqual({
    [w1]: figures('250000.00', '400000.00', '1200000.00', '800000.00'),
    [w2]: figures('280000.00', '460000.00', '920000.00', '920000.00'),
  });
  // Line 1's own borrowing base (seller S1's only line) says the same.
  const line1 = (await api.get(world.seller.admin, `/credit-lines/${line1Id}/borrowing-base?view=totals`).expect(200)).body.totals;
  expect({ borrowingBase: line1.borrowingBase, eligibleCollateralValue: line1.eligibleCollateralValue }).toEqual({ borrowingBase: usd('800000.00'), eligibleCollateralValue: usd('1600000.00') });
});

test('another lender sees none of it; a seller and a warehouse have no portfolio (403)', async () => {
  const { world } = await portfolio();
  const otherLender = await api.organisation('LENDER');
  const other = await api.get(otherLender.admin, '/portfolio/exposure').expect(200);
  expect(other.body.currencies).toEqual([]);
  for (const user of [world.seller.admin, world.warehouse.admin]) {
    const refused = await api.get(user, '/portfolio/exposure');
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/lender/);
  }
  // A VIEWER of the lender reads it (it changes nothing).
  const viewer = await world.lender.addUser('VIEWER');
  expect((await api.get(viewer, '/portfolio/exposure').expect(200)).body.currencies[0].lineCount).toBe(2);
});
