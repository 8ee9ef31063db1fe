/**
 * Concentration limits in one fixed sequence, every invariant checked after every step (among them
 * concentrationLimitsHold and exposureSumsToTotals). The opening position lends 60 000 kg × 1.20 × 0.9 × 0.5
 * = 32 400 from one lot; pledging the 8 000 kg grade-70 lot adds 8 000 × 1.00 × 0.9 × 0.5 = 3 600. Under a lot
 * limit of 60 % the big lot may provide at most 0.6 × 3 600 ÷ (1 − 0.6) = 5 400, so the base is 9 000 and
 * 27 000 is cut; a 9 000.00 draw leaves nothing to draw. Lifting the limit gives the 36 000 back.
 */
import fc from 'fast-check';
import { AdvanceTime, AmendTerms, DecideDraw, Pledge, RequestDraw, emptyModel } from './commands';
import { World } from './world';

const usd = (amount: string) => ({ amount, currency: 'USD' });

test('a lot limit amended in, drawn against and lifted keeps every invariant, and cut the base as computed by hand', async () => {
  const world = await World.create({ dayCount: 'ACT_360' });
  try {
    const totals = async () => (await world.call(world.lender, 'get', `/credit-lines/${world.lineIds[0]}/borrowing-base?view=totals`)).body.totals;
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [
      // The model learns the world's lots after a first step: lot #1 is then the 8 000 kg one.
      new AdvanceTime(1),
      new Pledge(1),
      new AmendTerms({ kind: 'concentration', commodity: null, warehouse: null, lot: '0.6' }, 0, 0, 'accept'),
      new RequestDraw('9000.00', false),
      new DecideDraw(0, 0, 'approve'),
      new AdvanceTime(6),
    ]);
    expect(await totals()).toMatchObject({ borrowingBase: usd('9000.00'), concentrationExcess: usd('27000.00'), availability: usd('0.00') });
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [
      new RequestDraw('50.00', true),
      new AmendTerms({ kind: 'concentration', commodity: null, warehouse: null, lot: null }, 0, 1, 'accept'),
      new AdvanceTime(1),
    ]);
    expect(await totals()).toMatchObject({ borrowingBase: usd('36000.00'), concentrationExcess: usd('0.00') });
    const versions = await world.db.sql<{ status: string; lot: string | null }>(
      `SELECT status, terms->'concentrationLimits'->>'lot' AS lot FROM credit_terms_version WHERE credit_line_id = $1::uuid AND version_no > 1 ORDER BY version_no`,
      [world.lineIds[0]],
    );
    expect(versions).toEqual([
      { status: 'AGREED', lot: '0.6' },
      { status: 'AGREED', lot: null },
    ]);
    const draws = await world.db.sql<{ amount: string }>(`SELECT trim_scale(amount)::text AS amount FROM draw WHERE credit_line_id = $1::uuid ORDER BY created_at`, [world.lineIds[0]]);
    // The 50.00 asked for while the cut base was fully drawn was never reserved.
    expect(draws.map((draw) => draw.amount)).toEqual(['9000']);
  } finally {
    await world.close();
  }
}, 180_000);
