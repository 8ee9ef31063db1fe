/**
 * Issue #11, item 8: a mark dated in the future outranked every later mark for
 * ever (a typo dated 2036 kept the borrowing base 10× too high), and a count
 * dated in the future kept a lot "counted" for ever. Marks and counts may be
 * ahead of now only by the 5-minute clock skew; rows stored before that rule
 * are not trusted by valuation.
 */
import { overdueStockCounts } from '../../prisma/margin/stock-counts';
import { createTestApi, type TestApi } from '../support/api';
import { DAY_MS, draw, mark, marginWorld, pledgedLot } from '../margin/support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

const MINUTE_MS = 60_000;

describe('price marks cannot be dated ahead of now', () => {
  test('a mark dated tomorrow or in 2036 is refused naming body.asOf; one 4 minutes ahead (clock skew) is accepted', async () => {
    const world = await marginWorld(api);
    const body = (asOf: string) => ({ commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '28.80', currency: 'USD', unit: 'kg' }, source: 'test feed', asOf });
    for (const asOf of [new Date(Date.now() + DAY_MS).toISOString(), '2036-11-23T00:00:00Z']) {
      const res = await api.post(world.lender.admin, '/price-marks', body(asOf));
      expect(res.status).toBe(400);
      expect(res.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.asOf']);
      expect(res.body.errors[0].reason).toMatch(/ahead of now .* by more than the 5-minute clock skew/);
    }
    expect(await api.db.prisma.priceMark.count({ where: { lenderOrganisationId: world.lender.organisationId } })).toBe(0);
    await api.post(world.lender.admin, '/price-marks', body(new Date(Date.now() + 4 * MINUTE_MS).toISOString())).expect(201);
  });

  test('a future mark stored before the rule does not outrank the correct mark posted after it', async () => {
    const world = await marginWorld(api);
    await draw(api, world.lineId, '10800.00');
    await pledgedLot(api, world, '1000');
    // The typo: 288.00 dated 2036, stored directly (as the old code let it be).
    await api.db.sql(
      `INSERT INTO price_mark (id, lender_organisation_id, commodity_code, grade, currency, price_per_unit, source, as_of, posted_by_user_id)
       VALUES (gen_random_uuid(), $1, $2, '80', 'USD', 288.00, 'typo', '2036-11-23T00:00:00Z', $3)`,
      [world.lender.organisationId, world.commodityCode, world.lender.admin.userId],
    );
    await mark(api, world, '28.80');
    const base = await api.get(world.lender.admin, `/credit-lines/${world.lineId}/borrowing-base`).expect(200);
    // 1 000 × 28.80 = 28 800; × 0.75 = 21 600; × 0.6 = 12 960; LTV 10 800 / 21 600 = 0.5.
    expect([base.body.lots[0].pricePerUnit, base.body.totals.marketValue, base.body.totals.borrowingBase, base.body.totals.ltv]).toEqual([
      { amount: '28.8', currency: 'USD', unit: 'kg' },
      { amount: '28800.00', currency: 'USD' },
      { amount: '12960.00', currency: 'USD' },
      '0.5',
    ]);
  });
});

describe('stock counts cannot be dated ahead of now', () => {
  test('a count dated next year is refused naming body.countedAt, and the lot is unchanged', async () => {
    const world = await marginWorld(api);
    const lotId = await pledgedLot(api, world, '1000');
    const res = await api.post(world.warehouse.admin, `/lots/${lotId}/stock-counts`, { countedQuantity: { amount: '1000', unit: 'kg' }, countedAt: new Date(Date.now() + 365 * DAY_MS).toISOString() });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.countedAt']);
    expect((await api.db.prisma.lot.findUniqueOrThrow({ where: { id: lotId } })).lastCountedAt).toBeNull();
  });

  test('a future count stored before the rule is no count: a lot pledged 31 days ago is overdue and lends nothing', async () => {
    const world = await marginWorld(api, { stockCountIntervalDays: 30 });
    const lotId = await pledgedLot(api, world, '1000');
    await mark(api, world, '28.80');
    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '31 days' WHERE lot_id = $1`, [lotId]);
    await api.db.sql(`UPDATE lot SET last_counted_at = '2036-01-01T00:00:00Z' WHERE id = $1`, [lotId]);
    const base = await api.get(world.lender.admin, `/credit-lines/${world.lineId}/borrowing-base`).expect(200);
    expect([base.body.lots[0].eligible, base.body.lots[0].reasons, base.body.totals.borrowingBase]).toEqual([false, ['STOCK_COUNT_OVERDUE'], { amount: '0.00', currency: 'USD' }]);
    const overdue = await overdueStockCounts(api.db.prisma, { now: new Date(), afterLienId: null, limit: 500 });
    expect(overdue.map((row) => row.lotId)).toContain(lotId);
  });
});
