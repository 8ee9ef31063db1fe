/**
 * The margin workflows in the offline harness, with the real activities
 * against a real PostgreSQL. Figures are the worked example of
 * test/margin/margin-calls.test.ts: 10 800.00 owed on 15 000.00 of collateral
 * (LTV 0.72) after the mark fell to 20.00; the cure period is 48 hours.
 */
import pino from 'pino';
import { utcDay } from '../../../domain/value-dates';
import { startWorkflow, type WorkflowHarness } from '../../support/workflow-harness';
import { createTestApi, type TestApi } from '../../support/api';
import { createMarginActivities } from '../../../workflows/margin/activities';
import type { WorkflowGateway } from '../../../workflows/connection';
import { requestLineRevaluation } from '../../../workflows/margin/starter';
import type { lineMarginWorkflow, stockCountMonitorWorkflow, LineMarginState } from '../../../workflows/margin/workflows';
import { lineMarginStateQuery, revalueLineSignal } from '../../../workflows/margin/workflows';
import { HOUR_MS, balancesOf, draw, lineStatus, liveCall, mark, marginWorld, pledgedLot, repay, type MarginWorld } from '../../margin/support';

const workflowsPath = require.resolve('../../../workflows/margin/workflows');
let api: TestApi;
const harnesses: WorkflowHarness[] = [];

beforeAll(async () => {
  api = await createTestApi();
});
afterAll(async () => {
  for (const harness of harnesses) await harness.dispose();
  await api.close();
});

const activities = () => createMarginActivities({ prisma: api.db.prisma, logger: pino({ level: 'silent' }) });

async function fallenLine(): Promise<MarginWorld & { lotId: string }> {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  const lotId = await pledgedLot(api, world, '1000');
  await mark(api, world, '20.00');
  return { ...world, lotId };
}

async function lineWorkflow(lineId: string) {
  const harness = await startWorkflow<typeof lineMarginWorkflow>('lineMarginWorkflow', {
    workflowsPath,
    activities: activities(),
    startTime: new Date(),
    workflowId: `line-margin-${lineId}`,
    args: [{ lineId, reason: 'PRICE_MARK' }],
  });
  harnesses.push(harness);
  return harness;
}

describe('lineMarginWorkflow', () => {
  test('uncured: the durable timer fires at the cure deadline and the line goes into liquidation; full repayment settles it', async () => {
    const world = await fallenLine();
    const harness = await lineWorkflow(world.lineId);
    const opened = await harness.query(lineMarginStateQuery);
    expect(opened).toMatchObject({ status: 'OPEN', lastStep: 'OPEN' });
    // The activity's clock (real time) may be a little past the workflow's start: the deadline is 48 h after the call opened.
    const call = await liveCall(api, world.lineId);
    expect(new Date(opened.cureDeadline!).getTime() - call!.openedAt.getTime()).toBe(48 * HOUR_MS);

    await harness.advanceTime(47 * HOUR_MS);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'OPEN', evaluations: 1 });
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    await harness.advanceTime(1 * HOUR_MS + 60_000);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'LIQUIDATING', lastStep: 'LIQUIDATE', evaluations: 2 });
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
    expect((await liveCall(api, world.lineId))!.liquidationReason).toBe('CURE_DEADLINE_PASSED');

    const sale = await api
      .post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, { lotId: world.lotId, quantity: { amount: '1000', unit: 'kg' }, proceeds: { amount: '11000.00', currency: 'USD' }, receivedOn: utcDay(new Date()) })
      .expect(201);
    expect(sale.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '10800.00', currency: 'USD' }, toSeller: { amount: '200.00', currency: 'USD' } });
    await harness.signal(revalueLineSignal, 'LIQUIDATION_PROCEEDS');
    // The sale's own evaluation settled the call; the workflow finds no live call left and completes.
    const result: LineMarginState = await harness.result();
    expect(result).toMatchObject({ status: 'NONE', evaluations: 3 });
    expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'SETTLED' });
    expect(await lineStatus(api, world.lineId)).toBe('FROZEN');
    expect(await balancesOf(api, world.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00', COLLECTION: '11000.00', SELLER_PAYABLE: '200.00' });
  });

  test('cured by a repayment the workflow is told about: it completes before the deadline', async () => {
    const world = await fallenLine();
    const harness = await lineWorkflow(world.lineId);
    await harness.advanceTime(5 * HOUR_MS);
    await repay(api, world, '4050.00');
    await harness.signal(revalueLineSignal, 'REPAYMENT');
    expect(harness.outcome).toMatchObject({ status: 'completed' });
    expect(await harness.result()).toMatchObject({ status: 'CURED', lastStep: 'CURE', evaluations: 2 });
    expect((await balancesOf(api, world.lineId)).LOAN_PRINCIPAL).toBe('6750.00');
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
  });

  test('a pledge nobody signalled is still seen at the deadline: the call is cured, not liquidated', async () => {
    const world = await fallenLine();
    const harness = await lineWorkflow(world.lineId);
    await pledgedLot(api, world, '600');
    expect(await harness.result()).toMatchObject({ status: 'CURED', evaluations: 2 });
    expect(harness.nowMs - Date.now()).toBeGreaterThan(47 * HOUR_MS);
    expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
  });

  test('immediate liquidation: LTV 0.9 liquidates on the first evaluation, with no cure timer', async () => {
    const world = await marginWorld(api);
    await draw(api, world.lineId, '10800.00');
    await pledgedLot(api, world, '1000');
    await mark(api, world, '16.00');
    const harness = await lineWorkflow(world.lineId);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'LIQUIDATING', cureDeadline: null, evaluations: 1 });
    expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
    // Re-checked daily while in liquidation, without any signal.
    await harness.advanceTime(24 * HOUR_MS + 1000);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'LIQUIDATING', evaluations: 2 });
  });

  test('a line below the margin-call LTV: one evaluation, no call, the workflow completes', async () => {
    const world = await marginWorld(api);
    await draw(api, world.lineId, '10800.00');
    await pledgedLot(api, world, '1000');
    await mark(api, world, '28.80');
    const harness = await lineWorkflow(world.lineId);
    expect(await harness.result()).toMatchObject({ status: 'NONE', lastStep: 'NONE', evaluations: 1 });
    expect(await liveCall(api, world.lineId)).toBeNull();
  });
});

describe('lineMarginWorkflow on a line that cannot be margin-checked', () => {
  test('the failure is recorded, retried after 1 and 10 minutes, and cleared once the line evaluates again', async () => {
    const world = await marginWorld(api);
    // Terms accepted before issue #11 (target 1): any call the line opens breaks margin_call_target_ltv_range.
    await api.db.sql(`UPDATE credit_line SET default_advance_rate = 1, target_ltv = 1, margin_call_ltv = 1.2, liquidation_ltv = 1.5 WHERE id = $1`, [world.lineId]);
    await draw(api, world.lineId, '20000.00');
    await pledgedLot(api, world, '1000');
    await mark(api, world, '20.00'); // 20 000 / 15 000 = 1.33 > 1.2
    const harness = await lineWorkflow(world.lineId);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'NONE', lastStep: 'FAILED', evaluations: 1, failuresInARow: 1 });
    const failure = () => api.db.prisma.marginCheckFailure.findUnique({ where: { creditLineId: world.lineId } });
    expect(await failure()).toMatchObject({ stage: 'MARGIN_CHECK', attempts: 1 });

    await harness.advanceTime(60_000 + 1000);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ lastStep: 'FAILED', evaluations: 2, failuresInARow: 2 });
    expect(await failure()).toMatchObject({ attempts: 2 });

    await api.db.sql(`UPDATE credit_line SET default_advance_rate = 0.6, target_ltv = 0.45, margin_call_ltv = 0.7, liquidation_ltv = 1.4 WHERE id = $1`, [world.lineId]);
    await harness.advanceTime(10 * 60_000 + 1000);
    expect(await harness.query(lineMarginStateQuery)).toMatchObject({ status: 'OPEN', lastStep: 'OPEN', evaluations: 3, failuresInARow: 0 });
    expect(await failure()).toBeNull();
    expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'OPEN' });
  });
});

describe('stockCountMonitorWorkflow', () => {
  test('overdue count: the lot is ineligible, lender and warehouse are told, and the line is revalued', async () => {
    const world = await marginWorld(api, { stockCountIntervalDays: 30 });
    await draw(api, world.lineId, '10800.00');
    await pledgedLot(api, world, '1000');
    const overdueLot = await pledgedLot(api, world, '400');
    await mark(api, world, '20.00');
    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '31 days' WHERE lot_id = $1`, [overdueLot]);
    const harness = await startWorkflow<typeof stockCountMonitorWorkflow>('stockCountMonitorWorkflow', { workflowsPath, activities: activities(), startTime: new Date(), args: [{}] });
    harnesses.push(harness);
    const result = await harness.result();
    expect(result.overdueLots).toBeGreaterThanOrEqual(1);
    const kinds = await api.db.prisma.notification.findMany({ where: { subjectId: overdueLot } });
    expect(kinds.map((n) => n.organisationId).sort()).toEqual([world.lender.organisationId, world.warehouse.organisationId].sort());
    expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'OPEN' });
  });
});

describe('requestLineRevaluation', () => {
  test('starts the line workflow when none runs, signals it when one does', async () => {
    const calls: string[] = [];
    const running = new Set<string>();
    const gateway: WorkflowGateway = {
      start: async (type, { workflowId, args }) => {
        calls.push(`start ${type} ${workflowId} ${JSON.stringify(args)}`);
        running.add(workflowId);
      },
      signal: async (workflowId, signalName, ...args) => {
        if (!running.has(workflowId)) throw Object.assign(new Error('not found'), { name: 'WorkflowNotFoundError' });
        calls.push(`signal ${workflowId} ${signalName} ${JSON.stringify(args)}`);
      },
      query: async () => undefined as never,
    };
    await requestLineRevaluation(gateway, 'line-1', 'PRICE_MARK');
    await requestLineRevaluation(gateway, 'line-1', 'REPAYMENT');
    expect(calls).toEqual([
      'start lineMarginWorkflow line-margin-line-1 [{"lineId":"line-1","reason":"PRICE_MARK"}]',
      'signal line-margin-line-1 revalueLine ["REPAYMENT"]',
    ]);
  });
});
