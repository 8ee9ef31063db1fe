/**
 * Failure isolation (issue #11): one line that cannot be revalued or
 * margin-checked never stops the others nor the price mark; it is recorded,
 * retried, shown on the line, counted in /metrics, and its lender is told.
 *
 * Healthy line A is the worked example (1 000 kg, haircut 0.25, 10 800.00 owed):
 * the mark falls to 20.00 → collateral 15 000.00, LTV 0.72 > 0.7 → a call.
 */
import request from 'supertest';
import { createApp } from '../../api/app';
import { createMetrics } from '../../api/metrics';
import { LINE_ACCOUNTS } from '../../prisma/credit-lines/store';
import { inTransaction } from '../../prisma/client';
import { createAccountSet } from '../../prisma/ledger/store';
import { createMarginActivities } from '../../workflows/margin/activities';
import { createTestApi, type TestApi } from '../support/api';
import { draw, liveCall, mark, marginWorld, notificationsOf, pledgedLot, type MarginWorld } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** A second line between the world's lender and seller, with the given LTV thresholds. */
async function secondLine(world: MarginWorld, thresholds: { marginCallLtv: string; liquidationLtv: string; targetLtv: string; defaultAdvanceRate: string }): Promise<string> {
  const line = await api.db.prisma.creditLine.create({
    data: {
      lenderOrganisationId: world.lender.organisationId,
      sellerOrganisationId: world.seller.organisationId,
      currency: 'USD',
      limitAmount: '1000000',
      haircut: '0.25',
      annualInterestRate: '0.1',
      dayCount: 'ACT_360',
      maxMarkAgeHours: 24 * 365,
      curePeriodHours: 48,
      stockCountIntervalDays: 30,
      maturityDate: new Date('2027-12-31T00:00:00Z'),
      autoApproveUpTo: '0',
      singleApproverUpTo: '0',
      approvalWindowHours: 24,
      waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
      status: 'ACTIVE',
      ...thresholds,
    },
  });
  // Goods count only in warehouses the lender approved for the line (the trust model).
  await api.db.prisma.creditLineApprovedWarehouse.create({ data: { creditLineId: line.id, warehouseId: world.warehouseId } });
  await inTransaction(api.db.prisma, (tx) => createAccountSet(tx, { accountSetId: line.id, currency: 'USD', accounts: [...LINE_ACCOUNTS] }));
  return line.id;
}

async function failureOf(lineId: string) {
  return api.db.prisma.marginCheckFailure.findUnique({ where: { creditLineId: lineId } });
}

async function metricsText(): Promise<string> {
  const app = createApp({ ...api.deps, metrics: createMetrics({ db: api.db.prisma, processMetrics: false }) });
  return (await request(app).get('/metrics').expect(200)).text;
}

test('POST /price-marks: a line whose goods are valued below zero is recorded and skipped; the mark is kept and the healthy line revalued', async () => {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  await pledgedLot(api, world, '1000');
  await mark(api, world, '28.80');
  const brokenLineId = await secondLine(world, { marginCallLtv: '0.7', liquidationLtv: '0.85', targetLtv: '0.45', defaultAdvanceRate: '0.6' });
  const brokenLot = await pledgedLot(api, { ...world, lineId: brokenLineId }, '1000');
  // Item 4's state: a paid sale of 1 500 kg on a lot that holds 1 000 kg (its goods are valued at −500 kg).
  const [sale] = await api.db.sql<{ id: string }>(
    `INSERT INTO sale (id, credit_line_id, seller_organisation_id, buyer_organisation_id, currency, total_price, amount_paid, fee_on_sale,
                       payment_due_date, status, workflow_id, reported_by_user_id, paid_at)
     VALUES (gen_random_uuid(), $1, $2, $3, 'USD', 100, 100, 0, '2026-12-31', 'PAID', 'test', $4, now()) RETURNING id::text`,
    [brokenLineId, world.seller.organisationId, world.warehouse.organisationId, world.seller.admin.userId],
  );
  await api.db.sql(`INSERT INTO sale_item (id, sale_id, lot_id, quantity, unit, price_per_unit) VALUES (gen_random_uuid(), $1, $2, 1500, 'kg', 1)`, [sale.id, brokenLot]);

  const res = await api.post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '20.00', currency: 'USD', unit: 'kg' }, source: 'test feed', asOf: new Date().toISOString() });
  expect(res.status).toBe(201);
  expect(await api.db.prisma.priceMark.count({ where: { lenderOrganisationId: world.lender.organisationId, pricePerUnit: '20' } })).toBe(1);

  const failure = await failureOf(brokenLineId);
  expect(failure).toMatchObject({ stage: 'REVALUATION', errorType: 'InvariantViolation', attempts: 1 });
  expect(failure!.reason).toMatch(/collateral value is zero or positive/);
  expect(await failureOf(world.lineId)).toBeNull();
  expect(await notificationsOf(api, world.lender.organisationId, brokenLineId)).toEqual(['MARGIN_CHECK_FAILED']);
  expect(await metricsText()).toContain('godown_margin_check_failing_lines{stage="REVALUATION"} 1');

  // The healthy line is margin-checked as usual (the daily check without Temporal evaluates each line itself);
  // the broken one fails again (attempt 2, the lender is not told twice) and stops nobody.
  const activities = createMarginActivities({ prisma: api.db.prisma, logger: api.deps.logger });
  await activities.revalueLines([brokenLineId, world.lineId], 'DAILY_CHECK');
  expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'OPEN' });
  expect(await failureOf(brokenLineId)).toMatchObject({ stage: 'MARGIN_CHECK', attempts: 2 });
  expect(await notificationsOf(api, world.lender.organisationId, brokenLineId)).toEqual(['MARGIN_CHECK_FAILED']);
});

test('daily check: a line whose call the database refuses is recorded, shown on its borrowing base, retried, and cleared once it succeeds', async () => {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  await pledgedLot(api, world, '1000');
  await mark(api, world, '28.80');
  // Terms that were accepted before issue #11: target 1, so any call it opens breaks margin_call_target_ltv_range.
  const legacyLineId = await secondLine(world, { marginCallLtv: '1.2', liquidationLtv: '1.5', targetLtv: '1', defaultAdvanceRate: '1' });
  await draw(api, legacyLineId, '20000.00');
  await pledgedLot(api, { ...world, lineId: legacyLineId }, '1000');
  await mark(api, world, '20.00'); // A: 10 800 / 15 000 = 0.72; legacy: 20 000 / 15 000 = 1.33 > 1.2

  const activities = createMarginActivities({ prisma: api.db.prisma, logger: api.deps.logger });
  const page = await activities.listLinesForMarginCheck(null, 100);
  expect(page).toEqual(expect.arrayContaining([world.lineId, legacyLineId]));
  await activities.revalueLines([legacyLineId, world.lineId], 'DAILY_CHECK');
  expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'OPEN' });
  expect(await liveCall(api, legacyLineId)).toBeNull();
  const failure = await failureOf(legacyLineId);
  expect(failure).toMatchObject({ stage: 'MARGIN_CHECK', attempts: 1 });
  expect(failure!.reason).toMatch(/margin_call_target_ltv_range/);

  const shown = await api.get(world.seller.admin, `/credit-lines/${legacyLineId}/borrowing-base?view=totals`).expect(200);
  expect(shown.body.marginCheckFailure).toMatchObject({ stage: 'MARGIN_CHECK', attempts: 1, failingSince: failure!.firstFailedAt.toISOString() });
  expect((await api.get(world.seller.admin, `/credit-lines/${world.lineId}/borrowing-base?view=totals`).expect(200)).body.marginCheckFailure).toBeNull();
  // Every line failing the margin check in this database (the first test's broken line too) is counted.
  const failing = await api.db.prisma.marginCheckFailure.count({ where: { stage: 'MARGIN_CHECK' } });
  expect(failing).toBeGreaterThanOrEqual(1);
  expect(await metricsText()).toContain(`godown_margin_check_failing_lines{stage="MARGIN_CHECK"} ${failing}`);

  // The lender fixes the terms; the next check succeeds, opens the call and clears the failure.
  await api.db.sql(`UPDATE credit_line SET target_ltv = 0.45, margin_call_ltv = 0.7, liquidation_ltv = 1.4, default_advance_rate = 0.6 WHERE id = $1`, [legacyLineId]);
  const retried = await activities.evaluateLineMargin(legacyLineId, 'RETRY', null);
  expect(retried).toMatchObject({ step: 'OPEN', status: 'OPEN', failure: null });
  expect(await failureOf(legacyLineId)).toBeNull();
  const audit = await api.db.prisma.auditRecord.findMany({ where: { targetId: legacyLineId, action: { startsWith: 'margin_check.' } }, orderBy: { seq: 'asc' } });
  expect(audit.map((row) => row.action)).toEqual(['margin_check.failed', 'margin_check.recovered']);
});

test('POST /price-marks: when the one valuation statement fails because of one line, each line is valued alone and only that one fails', async () => {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  await pledgedLot(api, world, '1000');
  await mark(api, world, '28.80');
  const brokenLineId = await secondLine(world, { marginCallLtv: '0.7', liquidationLtv: '0.85', targetLtv: '0.45', defaultAdvanceRate: '0.6' });
  await pledgedLot(api, { ...world, lineId: brokenLineId }, '1000');
  // A count interval that terms validation accepted before issue #11: now − 2 000 000 000 days is out of PostgreSQL's range.
  await api.db.sql('UPDATE credit_line SET stock_count_interval_days = 2000000000 WHERE id = $1', [brokenLineId]);

  await api
    .post(world.lender.admin, '/price-marks', { commodityCode: world.commodityCode, grade: '80', pricePerUnit: { amount: '20.00', currency: 'USD', unit: 'kg' }, source: 'test feed', asOf: new Date().toISOString() })
    .expect(201);
  expect(await failureOf(brokenLineId)).toMatchObject({ stage: 'REVALUATION', attempts: 1 });
  expect((await failureOf(brokenLineId))!.reason).toMatch(/out of range/);
  expect(await failureOf(world.lineId)).toBeNull();
  // The healthy line's figures were computed with the new mark: 1 000 × 20.00 × 0.75 = 15 000.00, LTV 0.72.
  const base = await api.get(world.lender.admin, `/credit-lines/${world.lineId}/borrowing-base?view=totals`).expect(200);
  expect([base.body.totals.eligibleCollateralValue, base.body.totals.ltv]).toEqual([{ amount: '15000.00', currency: 'USD' }, '0.72']);
});
