/**
 * Found by the whole-system simulation (seed 777, shrunk): a call opened on stale collateral demanded 55.03 at its
 * last evaluation; the nightly accrual then posted another day's interest, which the waterfall takes ahead of
 * principal, so paying the 55.03 shown left 0.02 of principal and the call OPEN. The accrual now revalues every
 * line with an open call through the outbox, so the call shows what cures it when the seller pays.
 */
import fc from 'fast-check';
import { AdvanceTime, CureMarginCall, RequestDraw, emptyModel } from './commands';
import { World } from './world';

test('after a night of interest, paying what an open call shows cures it (every invariant after every step)', async () => {
  const world = await World.create({ dayCount: 'ACT_360' });
  try {
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [new AdvanceTime(49), new RequestDraw('50.00', false), new AdvanceTime(49), new CureMarginCall()]);
    const calls = await world.call(world.lender, 'get', `/credit-lines/${world.lineIds[0]}/margin-calls`);
    expect((calls.body.items as { status: string; cause: string }[]).map((call) => [call.cause, call.status])).toEqual([['INELIGIBLE_COLLATERAL', 'CURED']]);
  } finally {
    await world.close();
  }
}, 300_000);
