/**
 * Issue #11, items 5 and 6, against a real PostgreSQL, on the worked example of
 * margin-calls.test.ts: 1 000 kg, haircut 0.25, advance rate 0.6, outstanding
 * 10 800.00, thresholds 0.7 / 0.85 / target 0.45, cure period 48 h.
 *   At 28.80: collateral 28 800 × 0.75 = 21 600.00, LTV 0.5, borrowing base 12 960.00.
 *   At 20.00: collateral 15 000.00, LTV 0.72 → repay 10 800 − 0.45 × 15 000 = 4 050.00 of principal.
 */
import { createTestApi, type TestApi } from '../support/api';
import { DAY_MS, HOUR_MS, balancesOf, draw, evaluate, lineStatus, liveCall, mark, marginWorld, notificationsOf, pledgedLot, post, repay, type MarginWorld } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** LTV 0.5 on a mark of 28.80 as of `markAsOf`, no call then; marks of this line go stale after `maxMarkAgeHours`. */
async function healthyLine(maxMarkAgeHours: number, markAsOf = new Date()): Promise<MarginWorld & { lotId: string }> {
  const world = await marginWorld(api);
  await api.db.sql('UPDATE credit_line SET max_mark_age_hours = $2 WHERE id = $1', [world.lineId, maxMarkAgeHours]);
  await draw(api, world.lineId, '10800.00');
  const lotId = await pledgedLot(api, world, '1000');
  await mark(api, world, '28.80', markAsOf);
  expect((await evaluate(api, world.lineId, new Date(markAsOf.getTime() + 60_000))).step).toBe('NONE');
  return { ...world, lotId };
}

describe('stale or ineligible collateral is a shortfall with the normal cure period, never a liquidation', () => {
  test('the only mark goes stale: a call opens with a 48 h cure period, the line stays ACTIVE, the lender is told, and a fresh mark cures it', async () => {
    // The mark is 25 hours old now, one hour past the 24 the line accepts.
    const world = await healthyLine(24, new Date(Date.now() - 25 * HOUR_MS));
    const staleAt = new Date();
    const opened = await evaluate(api, world.lineId, staleAt, 'DAILY_CHECK');
    expect(opened).toMatchObject({ step: 'OPEN', status: 'OPEN', cureDeadline: new Date(staleAt.getTime() + 48 * HOUR_MS).toISOString() });
    const call = await liveCall(api, world.lineId);
    expect({ cause: call!.cause, collateral: call!.collateralValue.toFixed(2), repayment: call!.requiredRepayment.toFixed(2), liquidation: call!.liquidationReason }).toEqual({
      cause: 'INELIGIBLE_COLLATERAL',
      collateral: '0.00',
      repayment: '10800.00',
      liquidation: null,
    });
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    expect(await notificationsOf(api, world.lender.organisationId, world.lineId)).toEqual(['COLLATERAL_UNPRICED']);
    expect(await notificationsOf(api, world.lender.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED']);

    // Stale draws stop: the lot lends nothing, with its reason shown.
    const base = await api.get(world.seller.admin, `/credit-lines/${world.lineId}/borrowing-base`).expect(200);
    expect([base.body.totals.borrowingBase, base.body.totals.availability, base.body.lots[0].reasons]).toEqual([{ amount: '0.00', currency: 'USD' }, { amount: '-10800.00', currency: 'USD' }, ['MARK_STALE']]);

    // An hour later, still stale: the same open call, not a liquidation.
    expect(await evaluate(api, world.lineId, new Date(staleAt.getTime() + HOUR_MS), 'DAILY_CHECK')).toMatchObject({ step: 'KEEP_OPEN', callId: call!.id });

    // The feed comes back at the same price: LTV 0.5 is above the target 0.45, but the call was never about the price.
    await mark(api, world, '28.80');
    const cured = await evaluate(api, world.lineId, new Date(staleAt.getTime() + 2 * HOUR_MS), 'PRICE_MARK');
    expect(cured).toMatchObject({ step: 'CURE', status: 'CURED', callId: call!.id });
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    expect(await notificationsOf(api, world.seller.organisationId, call!.id)).toEqual(['MARGIN_CALL_OPENED', 'MARGIN_CALL_CURED']);
  });

  test('an uncured call for ineligibility still ends in liquidation at its deadline (the normal cure period)', async () => {
    const world = await healthyLine(24);
    const staleAt = new Date(Date.now() + 25 * HOUR_MS);
    await evaluate(api, world.lineId, staleAt, 'DAILY_CHECK');
    expect(await evaluate(api, world.lineId, new Date(staleAt.getTime() + 48 * HOUR_MS), 'CURE_DEADLINE')).toMatchObject({ step: 'LIQUIDATE', status: 'LIQUIDATING' });
    expect((await liveCall(api, world.lineId))!.liquidationReason).toBe('CURE_DEADLINE_PASSED');
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
  });

  test('the only lot overdue for its count, or on quality hold: a call, not a liquidation', async () => {
    const overdue = await healthyLine(24 * 365);
    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '31 days' WHERE lot_id = $1`, [overdue.lotId]);
    expect(await evaluate(api, overdue.lineId, new Date(), 'STOCK_COUNT')).toMatchObject({ step: 'OPEN', status: 'OPEN' });
    expect(await lineStatus(api, overdue.lineId)).toBe('ACTIVE');

    const held = await healthyLine(24 * 365);
    await api.db.sql('UPDATE lot SET quality_hold = true WHERE id = $1', [held.lotId]);
    expect(await evaluate(api, held.lineId, new Date())).toMatchObject({ step: 'OPEN', status: 'OPEN' });
    expect((await liveCall(api, held.lineId))!.cause).toBe('INELIGIBLE_COLLATERAL');
  });

  test('a priced LTV at the liquidation threshold still liquidates at once (16.00 → 10 800 / 12 000 = 0.9)', async () => {
    const world = await healthyLine(24);
    await mark(api, world, '16.00');
    expect(await evaluate(api, world.lineId, new Date())).toMatchObject({ step: 'LIQUIDATE', status: 'LIQUIDATING', cureDeadline: null });
    expect((await liveCall(api, world.lineId))!.liquidationReason).toBe('LIQUIDATION_THRESHOLD');
  });
});

describe('liquidation sales', () => {
  test('proceeds dated after today are refused naming body.receivedOn, and nothing is sold', async () => {
    const world = await healthyLine(24 * 365);
    await mark(api, world, '16.00');
    await evaluate(api, world.lineId, new Date());
    const tomorrow = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);
    const res = await api.post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, { lotId: world.lotId, quantity: { amount: '100', unit: 'kg' }, proceeds: { amount: '1000.00', currency: 'USD' }, receivedOn: tomorrow });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.receivedOn']);
    expect(await api.db.prisma.releaseOrder.count({ where: { lotId: world.lotId } })).toBe(0);
  });
});

describe('the repayment a call demands cures it through the waterfall', () => {
  test('with 50.00 of fees and 70.00 of interest accrued the call asks 4 170.00; paying a cent less leaves 0.01, paying it all cures', async () => {
    const world = await healthyLine(24 * 365);
    await post(api, world.lineId, 'FEES_RECEIVABLE', 'FEE_INCOME', '50.00');
    await post(api, world.lineId, 'INTEREST_RECEIVABLE', 'INTEREST_INCOME', '70.00');
    await mark(api, world, '20.00');
    expect(await evaluate(api, world.lineId, new Date())).toMatchObject({ step: 'OPEN' });
    // 50.00 + 70.00 ahead of principal, then 4 050.00 of principal: 4 170.00.
    expect((await liveCall(api, world.lineId))!.requiredRepayment.toFixed(2)).toBe('4170.00');

    await repay(api, world, '4169.99');
    // Fees and interest paid, principal 10 800 − 4 049.99 = 6 750.01: one cent above 0.45 × 15 000.
    expect(await evaluate(api, world.lineId, new Date(), 'REPAYMENT')).toMatchObject({ step: 'KEEP_OPEN', status: 'OPEN' });
    expect((await liveCall(api, world.lineId))!.requiredRepayment.toFixed(2)).toBe('0.01');
    await repay(api, world, '0.01');
    expect(await evaluate(api, world.lineId, new Date(), 'REPAYMENT')).toMatchObject({ step: 'CURE', status: 'CURED' });
    expect(await balancesOf(api, world.lineId)).toMatchObject({ LOAN_PRINCIPAL: '6750.00', FEES_RECEIVABLE: '0.00', INTEREST_RECEIVABLE: '0.00' });
  });

  test('paying exactly the demand in one repayment cures the call', async () => {
    const world = await healthyLine(24 * 365);
    await post(api, world.lineId, 'FEES_RECEIVABLE', 'FEE_INCOME', '50.00');
    await post(api, world.lineId, 'INTEREST_RECEIVABLE', 'INTEREST_INCOME', '70.00');
    await mark(api, world, '20.00');
    await evaluate(api, world.lineId, new Date());
    const demanded = (await liveCall(api, world.lineId))!.requiredRepayment.toFixed(2);
    await repay(api, world, demanded);
    expect(await evaluate(api, world.lineId, new Date(Date.now() + DAY_MS), 'REPAYMENT')).toMatchObject({ step: 'CURE', status: 'CURED' });
  });
});
