/**
 * The margin process end to end through the API, with its workflow running in the
 * offline harness: price marks and repayments reach the line's margin workflow by
 * themselves (no test calls the evaluation directly). Figures as in margin-calls.test.ts:
 * 1 000 kg, haircut 0.25, outstanding 10 800.00; mark 20.00 → collateral 15 000.00,
 * LTV 0.72 > 0.7 → repay 10 800 − 0.45 × 15 000 = 4 050.00 to reach the target 0.45.
 */
import { lineMarginWorkflowId } from '../../prisma/margin/store';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { draw, liveCall, mark, marginWorld, pledgedLot, repay } from './support';

let api: TestApi;
let harness: HarnessTemporal;
beforeAll(async () => {
  api = await createTestApi({ temporal: (url) => (harness = new HarnessTemporal({ databaseUrl: url })), poolMax: 10 });
});
afterAll(() => api.close());

test('a falling mark opens a call through the workflow, and a repayment recorded through the API cures it', async () => {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  // Priced before it is pledged: the pledge's revaluation (dispatched before the pledge is answered) must see
  // priced collateral, 1 000 × 28.80 × 0.75 = 21 600.00, LTV 0.5 — unpriced goods are not this test's subject.
  await mark(api, world, '28.80');
  await pledgedLot(api, world, '1000');
  const workflowId = lineMarginWorkflowId(world.lineId);
  await harness.handle(workflowId).settled();
  expect(await liveCall(api, world.lineId)).toBeNull();

  await mark(api, world, '20.00');
  await harness.handle(workflowId).settled();
  const call = await liveCall(api, world.lineId);
  expect(call).toMatchObject({ status: 'OPEN' });
  expect(call!.requiredRepayment.toFixed(2)).toBe('4050.00');

  await repay(api, world, '4050.00');
  await harness.handle(workflowId).settled();
  // 10 800 − 4 050 = 6 750 outstanding; 6 750 / 15 000 = 0.45, exactly the target: cured.
  const cured = await api.db.prisma.marginCall.findUniqueOrThrow({ where: { id: call!.id } });
  expect({ status: cured.status, outstanding: cured.outstandingPrincipal.toFixed(2) }).toEqual({ status: 'CURED', outstanding: '6750.00' });
  expect(await api.db.prisma.marginCall.count({ where: { creditLineId: world.lineId } })).toBe(1);
}, 60_000);
