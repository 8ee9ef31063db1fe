/**
 * Margin calls against a real PostgreSQL. The worked example, by hand:
 *   haircut 0.25; 1 000 kg at 28.80 → collateral 28 800 × 0.75 = 21 600.00;
 *   outstanding 10 800.00 → LTV 0.5.
 *   The mark falls to 20.00 → collateral 20 000 × 0.75 = 15 000.00 → LTV 0.72 > 0.7.
 *   To target 0.45: repay 10 800 − 0.45 × 15 000 = 4 050.00,
 *   or add collateral value 10 800 ÷ 0.45 − 15 000 = 9 000.00 (600 kg at 20.00 × 0.75).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { overdueStockCounts } from '../../prisma/margin/stock-counts';
import { utcDay } from '../../domain/value-dates';
import { createMarginActivities } from '../../workflows/margin/activities';
import { createTestApi, type TestApi } from '../support/api';
import { DAY_MS, HOUR_MS, balancesOf, draw, evaluate, lineStatus, liveCall, mark, marginWorld, notificationsOf, pledgedLot, post, repay, type MarginWorld } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** A line at LTV 0.72 after the mark fell, no call yet. */
async function fallenLine(): Promise<MarginWorld & { lotId: string }> {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  const lotId = await pledgedLot(api, world, '1000');
  await mark(api, world, '28.80');
  expect((await evaluate(api, world.lineId, new Date())).step).toBe('NONE');
  await mark(api, world, '20.00');
  return { ...world, lotId };
}

describe('opening a margin call', () => {
  test('a price fall above the margin-call LTV opens one call asking 4,050.00 repaid or 9,000.00 of collateral value', async () => {
    const world = await fallenLine();
    const openedAt = new Date();
    const opened = await evaluate(api, world.lineId, openedAt);
    expect(opened).toMatchObject({ step: 'OPEN', status: 'OPEN', cureDeadline: new Date(openedAt.getTime() + 48 * HOUR_MS).toISOString() });
    const call = await liveCall(api, world.lineId);
    expect({
      outstanding: call!.outstandingPrincipal.toFixed(2),
      collateral: call!.collateralValue.toFixed(2),
      repayment: call!.requiredRepayment.toFixed(2),
      extraCollateral: call!.requiredAdditionalCollateralValue.toFixed(2),
      atOpen: call!.collateralValueAtOpen.toFixed(2),
    }).toEqual({ outstanding: '10800.00', collateral: '15000.00', repayment: '4050.00', extraCollateral: '9000.00', atOpen: '15000.00' });
    expect(await notificationsOf(api, world.lender.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED']);
    expect(await notificationsOf(api, world.seller.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED']);

    // Re-evaluating keeps the same call; the database itself refuses a second live call on the line.
    expect(await evaluate(api, world.lineId, new Date())).toMatchObject({ step: 'KEEP_OPEN', callId: call!.id });
    expect(await api.db.prisma.marginCall.count({ where: { creditLineId: world.lineId } })).toBe(1);
    await expect(
      api.db.sql(
        `INSERT INTO margin_call (id, credit_line_id, status, currency, opened_at, cure_deadline, target_ltv, outstanding_principal_at_open,
           collateral_value_at_open, outstanding_principal, collateral_value, required_repayment, required_additional_collateral_value, evaluated_at, workflow_id)
         VALUES (gen_random_uuid(), $1, 'OPEN', 'USD', now(), now() + interval '1 hour', 0.45, 1, 1, 1, 1, 0, 0, now(), 'x')`,
        [world.lineId],
      ),
    ).rejects.toThrow(/margin_call_one_live_per_line/);
  });

  test('GET margin calls answers the line\'s lender and seller, and 404 to anyone else', async () => {
    const world = await fallenLine();
    await evaluate(api, world.lineId, new Date());
    const forSeller = await api.get(world.seller.admin, `/credit-lines/${world.lineId}/margin-calls`).expect(200);
    expect(forSeller.body.items).toHaveLength(1);
    expect(forSeller.body.items[0]).toMatchObject({ status: 'OPEN', cause: 'LTV_ABOVE_MARGIN_CALL', requiredRepayment: { amount: '4050.00', currency: 'USD' }, requiredAdditionalCollateralValue: { amount: '9000.00', currency: 'USD' }, collateralValue: { amount: '15000.00', currency: 'USD' } });
    await api.get(world.lender.admin, `/credit-lines/${world.lineId}/margin-calls`).expect(200);
    await api.get(world.warehouse.admin, `/credit-lines/${world.lineId}/margin-calls`).expect(404);
  });
});

describe('curing', () => {
  test('cured by repayment: a part keeps the call open below the margin-call LTV (no flapping), the rest cures it', async () => {
    const world = await fallenLine();
    await evaluate(api, world.lineId, new Date());
    // 8 800 / 15 000 = 0.5867: below 0.7 but above target 0.45 — still open; now 8 800 − 6 750 = 2 050.00 to repay.
    await repay(api, world, '2000.00');
    expect(await evaluate(api, world.lineId, new Date(), 'REPAYMENT')).toMatchObject({ step: 'KEEP_OPEN', status: 'OPEN' });
    expect((await liveCall(api, world.lineId))!.requiredRepayment.toFixed(2)).toBe('2050.00');
    // Or 8 800 / 0.45 − 15 000 = 4 555.555… → 4 555.56 (rounded up) of collateral value.
    expect((await liveCall(api, world.lineId))!.requiredAdditionalCollateralValue.toFixed(2)).toBe('4555.56');
    await repay(api, world, '2050.00');
    const cured = await evaluate(api, world.lineId, new Date(), 'REPAYMENT');
    expect(cured).toMatchObject({ step: 'CURE', status: 'CURED', cureDeadline: null });
    const call = await liveCall(api, world.lineId);
    expect(call!.curedAt).not.toBeNull();
    expect((await balancesOf(api, world.lineId)).LOAN_PRINCIPAL).toBe('6750.00');
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    expect(await notificationsOf(api, world.seller.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED', 'MARGIN_CALL_CURED']);
  });

  test('cured by pledge: 600 kg more at 20.00 adds 9,000.00 of collateral value and brings LTV to exactly 0.45', async () => {
    const world = await fallenLine();
    await evaluate(api, world.lineId, new Date());
    await pledgedLot(api, world, '600');
    expect(await evaluate(api, world.lineId, new Date(), 'PLEDGE')).toMatchObject({ step: 'CURE', status: 'CURED' });
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
  });
});

describe('liquidation', () => {
  test('uncured at the deadline: the line is frozen in default, liquidation sales run through the waterfall, and full repayment ends the default', async () => {
    const world = await fallenLine();
    await post(api, world.lineId, 'INTEREST_RECEIVABLE', 'INTEREST_INCOME', '100.00');
    await post(api, world.lineId, 'FEES_RECEIVABLE', 'FEE_INCOME', '50.00');
    const openedAt = new Date();
    await evaluate(api, world.lineId, openedAt);
    expect(await evaluate(api, world.lineId, new Date(openedAt.getTime() + 47 * HOUR_MS), 'DAILY_CHECK')).toMatchObject({ step: 'KEEP_OPEN' });
    const deadline = await evaluate(api, world.lineId, new Date(openedAt.getTime() + 48 * HOUR_MS), 'CURE_DEADLINE');
    expect(deadline).toMatchObject({ step: 'LIQUIDATE', status: 'LIQUIDATING' });
    const call = await liveCall(api, world.lineId);
    expect(call!.liquidationReason).toBe('CURE_DEADLINE_PASSED');
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
    expect(await notificationsOf(api, world.seller.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED', 'LIQUIDATION_STARTED']);

    // The seller cannot sell; the lender sells 400 kg for 5,000.00: fees 50.00, interest 100.00, principal 4,850.00.
    const first = await api
      .post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, { lotId: world.lotId, quantity: { amount: '400', unit: 'kg' }, proceeds: { amount: '5000.00', currency: 'USD' }, receivedOn: utcDay(new Date()) })
      .expect(201);
    expect(first.body.allocation).toEqual({ fees: { amount: '50.00', currency: 'USD' }, interest: { amount: '100.00', currency: 'USD' }, principal: { amount: '4850.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
    expect(first.body.marginCall).toEqual({ id: call!.id, status: 'LIQUIDATING' });
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
    // 600 kg for 7,000.00: principal 10,800 − 4,850 = 5,950.00, the remaining 1,050.00 is owed to the seller.
    const second = await api
      .post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, { lotId: world.lotId, quantity: { amount: '600', unit: 'kg' }, proceeds: { amount: '7000.00', currency: 'USD' }, receivedOn: utcDay(new Date()) })
      .expect(201);
    expect(second.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '5950.00', currency: 'USD' }, toSeller: { amount: '1050.00', currency: 'USD' } });
    expect(second.body.marginCall).toEqual({ id: call!.id, status: 'SETTLED' });
    expect(await balancesOf(api, world.lineId)).toMatchObject({
      LOAN_PRINCIPAL: '0.00',
      INTEREST_RECEIVABLE: '0.00',
      FEES_RECEIVABLE: '0.00',
      COLLECTION: '12000.00',
      SELLER_PAYABLE: '1050.00',
    });
    // Left default; draws stay stopped until the lender unfreezes.
    expect(await lineStatus(api, world.lineId)).toBe('FROZEN');
    const releases = await api.db.prisma.releaseOrder.findMany({ where: { lotId: world.lotId }, orderBy: { createdAt: 'asc' } });
    expect(releases.map((order) => [order.kind, order.quantityAuthorised.toFixed(), order.liquidationOfMarginCallId])).toEqual([
      ['LENDER_AUTHORISATION', '400', call!.id],
      ['LENDER_AUTHORISATION', '600', call!.id],
    ]);
    // Orders of liquidation sales made before release_order said so itself are found by the migration
    // that added the column, from the audit record of each sale: as it was, then as it backfills.
    const migration = readFileSync(path.join(__dirname, '../../prisma/migrations/20261203003100_release_order_liquidation/migration.sql'), 'utf8');
    const backfill = migration.slice(migration.indexOf('UPDATE "release_order"'), migration.indexOf(';', migration.indexOf('UPDATE "release_order"')) + 1);
    await api.db.sql(`UPDATE release_order SET liquidation_of_margin_call_id = NULL WHERE lot_id = $1`, [world.lotId]);
    await api.db.sql(backfill);
    const backfilled = await api.db.prisma.releaseOrder.findMany({ where: { lotId: world.lotId }, orderBy: { createdAt: 'asc' } });
    expect(backfilled.map((order) => order.liquidationOfMarginCallId)).toEqual([call!.id, call!.id]);
  });

  test('a liquidation sale is refused when the line is not in liquidation, and to the seller', async () => {
    const world = await fallenLine();
    await evaluate(api, world.lineId, new Date());
    const body = { lotId: world.lotId, quantity: { amount: '100', unit: 'kg' }, proceeds: { amount: '1000.00', currency: 'USD' }, receivedOn: utcDay(new Date()) };
    expect((await api.post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, body)).status).toBe(422);
    expect((await api.post(world.seller.admin, `/credit-lines/${world.lineId}/liquidation-sales`, body)).status).toBe(403);
  });

  test('immediate liquidation: a mark that takes LTV to 0.9 (≥ 0.85) starts liquidation with no call open before', async () => {
    const world = await marginWorld(api);
    await draw(api, world.lineId, '10800.00');
    await pledgedLot(api, world, '1000');
    await mark(api, world, '28.80');
    await evaluate(api, world.lineId, new Date());
    // 16.00 × 1 000 × 0.75 = 12 000.00; 10 800 / 12 000 = 0.9.
    await mark(api, world, '16.00');
    expect(await evaluate(api, world.lineId, new Date())).toMatchObject({ step: 'LIQUIDATE', status: 'LIQUIDATING', cureDeadline: null });
    const call = await liveCall(api, world.lineId);
    expect(call).toMatchObject({ liquidationReason: 'LIQUIDATION_THRESHOLD', cureDeadline: null });
    expect(call!.requiredRepayment.toFixed(2)).toBe('5400.00'); // 10 800 − 0.45 × 12 000
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
    expect(await notificationsOf(api, world.lender.organisationId, call!.id)).toEqual(['LIQUIDATION_STARTED']);
  });

  test('an open call whose LTV reaches the liquidation threshold goes into liquidation before its deadline', async () => {
    const world = await fallenLine();
    await evaluate(api, world.lineId, new Date());
    await mark(api, world, '16.00');
    expect(await evaluate(api, world.lineId, new Date())).toMatchObject({ step: 'LIQUIDATE', status: 'LIQUIDATING' });
    expect((await liveCall(api, world.lineId))!.liquidationReason).toBe('LIQUIDATION_THRESHOLD');
  });
});

describe('custody monitoring', () => {
  test('an overdue count makes the lot ineligible, tells the lender and the warehouse once, and opens a call', async () => {
    const world = await marginWorld(api, { stockCountIntervalDays: 30 });
    await draw(api, world.lineId, '10800.00');
    // 1 000 kg at 20.00 → 15 000.00; 400 kg at 20.00 → 6 000.00; 10 800 / 21 000 = 0.514: no call.
    await pledgedLot(api, world, '1000');
    const overdueLot = await pledgedLot(api, world, '400');
    await mark(api, world, '20.00');
    expect((await evaluate(api, world.lineId, new Date())).step).toBe('NONE');
    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '31 days' WHERE lot_id = $1`, [overdueLot]);

    const activities = createMarginActivities({ prisma: api.db.prisma, logger: api.deps.logger });
    const page = await activities.flagOverdueStockCounts(null, 100, null);
    expect(page).toMatchObject({ lineIds: [world.lineId], lotsFound: 1 });
    const borrowingBase = await api.get(world.lender.admin, `/credit-lines/${world.lineId}/borrowing-base`).expect(200);
    const overdue = borrowingBase.body.lots.find((lot: { lotId: string }) => lot.lotId === overdueLot);
    expect(overdue).toMatchObject({ eligible: false, reasons: ['STOCK_COUNT_OVERDUE'] });
    expect(await notificationsOf(api, world.lender.organisationId, overdueLot)).toEqual(['STOCK_COUNT_OVERDUE']);
    expect(await notificationsOf(api, world.warehouse.organisationId, overdueLot)).toEqual(['STOCK_COUNT_OVERDUE']);
    expect(await notificationsOf(api, world.seller.organisationId, overdueLot)).toEqual([]);
    // 15 000.00 left: LTV 0.72 → the worked example's call.
    const call = await liveCall(api, world.lineId);
    expect(call).toMatchObject({ status: 'OPEN' });
    expect(call!.requiredRepayment.toFixed(2)).toBe('4050.00');

    await activities.flagOverdueStockCounts(null, 100, null);
    expect(await notificationsOf(api, world.lender.organisationId, overdueLot)).toEqual(['STOCK_COUNT_OVERDUE']);
  });

  test('a count with a shortfall reduces the quantity, flags the lot and the revaluation opens a call', async () => {
    const world = await marginWorld(api);
    await draw(api, world.lineId, '10800.00');
    const lotA = await pledgedLot(api, world, '1000');
    const lotB = await pledgedLot(api, world, '400');
    await mark(api, world, '20.00');
    await api.post(world.warehouse.admin, `/lots/${lotB}/stock-counts`, { countedQuantity: { amount: '380', unit: 'kg' }, countedAt: new Date().toISOString() }).expect(201);
    const lot = await api.db.prisma.lot.findUniqueOrThrow({ where: { id: lotB } });
    expect([lot.quantity.toFixed(), lot.countDifferenceFlag]).toEqual(['380', true]);
    expect(await evaluate(api, world.lineId, new Date(), 'STOCK_COUNT')).toMatchObject({ step: 'OPEN' });
    void lotA;
  });

  test('lots counted within the interval are not overdue', async () => {
    const world = await marginWorld(api, { stockCountIntervalDays: 30 });
    const lotId = await pledgedLot(api, world, '100');
    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '40 days' WHERE lot_id = $1`, [lotId]);
    await api.post(world.warehouse.admin, `/lots/${lotId}/stock-counts`, { countedQuantity: { amount: '100', unit: 'kg' }, countedAt: new Date(Date.now() - 29 * DAY_MS).toISOString() }).expect(201);
    const overdue = await overdueStockCounts(api.db.prisma, { now: new Date(), afterLienId: null, limit: 500 });
    expect(overdue.map((row) => row.lotId)).not.toContain(lotId);
  });
});
