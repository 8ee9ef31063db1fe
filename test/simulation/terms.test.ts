/**
 * The terms and rates commands in one fixed sequence, with every invariant checked after every step
 * (interest posted = exact interest on the principal history under the terms and fixing in force each
 * day): the line floats over SOFR, fixings come, stop (stale days) and come back, the rate basis and
 * the day count are amended ahead of their dates, the limit is cut below what is outstanding.
 * Afterwards the database shows that each of those things really happened, so the sequence cannot
 * pass by having been refused.
 */
import fc from 'fast-check';
import { AdvanceTime, AmendTerms, PostFixing, RequestDraw, DecideDraw, emptyModel } from './commands';
import { World } from './world';

test('amendments and fixings over three weeks keep every invariant, and each one took effect', async () => {
  const world = await World.create({ dayCount: 'ACT_365' });
  try {
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [
      new RequestDraw('9000.00', false),
      new DecideDraw(0, 0, 'approve'),
      new AdvanceTime(25),
      new AmendTerms({ kind: 'float', spread: '0.02', floor: '0' }, 0, 0, 'accept'),
      new PostFixing('0.0455', 0),
      new AdvanceTime(25),
      new PostFixing('0.0390', -1),
      new AdvanceTime(24 * 4),
      new PostFixing('-0.0050', 0),
      new AmendTerms({ kind: 'float', spread: '0.01', floor: null }, 1, 1, 'accept'),
      new AdvanceTime(49),
      new AmendTerms({ kind: 'dayCount', dayCount: 'THIRTY_E_360' }, 3, 0, 'accept'),
      new AdvanceTime(24 * 4),
      new AmendTerms({ kind: 'limit', limit: '20000.00' }, 0, 1, 'accept'),
      new RequestDraw('50.00', false),
      new AmendTerms({ kind: 'rate', annualInterestRate: '0.15' }, 0, 0, 'decline'),
      new AdvanceTime(49),
    ]);
    const versions = await world.db.sql<{ version_no: number; status: string; applied: boolean }>(
      `SELECT version_no, status, applied_at IS NOT NULL AS applied FROM credit_terms_version WHERE credit_line_id = $1::uuid ORDER BY version_no`,
      [world.lineIds[0]],
    );
    expect(versions.map((v) => [v.version_no, v.status, v.applied])).toEqual([
      [1, 'AGREED', true],
      [2, 'AGREED', true],
      [3, 'AGREED', true],
      [4, 'AGREED', true],
      [5, 'AGREED', true],
      [6, 'DECLINED', false],
    ]);
    const days = await world.db.sql<{ versions: number[]; stale: number; floating: number }>(
      `SELECT array_agg(DISTINCT terms_version_no ORDER BY terms_version_no) AS versions,
              count(*) FILTER (WHERE rate_flag = 'STALE_FIXING')::int AS stale, count(*) FILTER (WHERE fixing_date IS NOT NULL)::int AS floating
         FROM interest_accrual WHERE credit_line_id = $1::uuid`,
      [world.lineIds[0]],
    );
    expect(days[0].versions).toEqual([1, 2, 3, 4, 5]);
    expect(days[0].stale).toBeGreaterThan(0);
    expect(days[0].floating).toBeGreaterThan(days[0].stale);
    const line = await world.call(world.lender, 'get', `/credit-lines/${world.lineIds[0]}/borrowing-base?view=totals`);
    expect(line.body.totals.limit).toEqual({ amount: '20000.00', currency: 'USD' });
  } finally {
    await world.close();
  }
}, 180_000);
