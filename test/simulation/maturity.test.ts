/**
 * Maturity, overdue and default in one fixed sequence, with every invariant checked after every step (default
 * interest = the exact interest on overdue principal under each day's terms): the line is amended to mature
 * tomorrow with a 1-day grace period, 5.00 % default interest and default from 4 days past due; it matures (no
 * more draws), time passes (overdue, default interest), a repayment back-dated into charged days, default, the
 * lender's liquidation, a renewal. Two repayments are dated back into days already charged default interest (one
 * day, then three days back): the next night restates those days, and the invariant holds Σ default interest to the
 * exact default interest on the real overdue principal history. Fresh marks keep the collateral priced, so that only days past due liquidate. Afterwards the database shows each of those things happened.
 */
import fc from 'fast-check';
import { AdvanceTime, AmendTerms, DecideDraw, PriceMark, Repay, RequestDraw, StartPastDueLiquidation, emptyModel } from './commands';
import { World } from './world';

test('a line matures, falls overdue, accrues default interest, defaults and is liquidated, keeping every invariant', async () => {
  const world = await World.create({ dayCount: 'ACT_ACT_ISDA' });
  try {
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [
      new RequestDraw('9000.00', false),
      new DecideDraw(0, 0, 'approve'),
      new AdvanceTime(25),
      new AmendTerms({ kind: 'maturity', inDays: 1, gracePeriodDays: 1, defaultInterestSpread: '0.05', defaultAfterDaysPastDue: 4 }, 0, 0, 'accept'),
      new AdvanceTime(25),
      new RequestDraw('50.00', false),
      new PriceMark('1.20', 0, '80'),
      new AdvanceTime(49),
      new Repay('1000.00', -1),
      new PriceMark('1.20', 0, '80'),
      new AdvanceTime(49),
      new Repay('700.00', -3),
      new PriceMark('1.20', 0, '80'),
      new StartPastDueLiquidation(),
      new AdvanceTime(49),
      new PriceMark('1.20', 0, '80'),
      new StartPastDueLiquidation(),
      new Repay('500.00', 0),
      new AmendTerms({ kind: 'maturity', inDays: 120, gracePeriodDays: 1, defaultInterestSpread: '0.05', defaultAfterDaysPastDue: 4 }, 0, 1, 'accept'),
      new AdvanceTime(25),
    ]);
    const lineId = world.lineIds[0];
    const told = await world.db.sql<{ kind: string }>(`SELECT kind FROM line_delinquency_event WHERE credit_line_id = $1::uuid ORDER BY recorded_at, kind`, [lineId]);
    expect(told.map((row) => row.kind)).toEqual(['AMOUNT_DUE', 'OVERDUE', 'DEFAULTED']);
    const [charged] = await world.db.sql<{ days: number; posted: string }>(
      `SELECT count(*)::int AS days, sum(posted_interest)::text AS posted FROM default_interest_accrual WHERE credit_line_id = $1::uuid`,
      [lineId],
    );
    expect(charged.days).toBeGreaterThan(3);
    // Both back-dated repayments lowered the overdue principal of charged days, which the next nights restated.
    const restated = await world.db.sql<{ by: number; days: number }>(
      `SELECT count(DISTINCT restated_by)::int AS by, count(DISTINCT restated_date)::int AS days FROM default_interest_restatement WHERE credit_line_id = $1::uuid`,
      [lineId],
    );
    expect(restated[0].by).toBe(2);
    expect(restated[0].days).toBeGreaterThanOrEqual(3);
    const [call] = await world.db.sql<{ reason: string }>(`SELECT liquidation_reason::text AS reason FROM margin_call WHERE credit_line_id = $1::uuid AND status = 'LIQUIDATING'`, [lineId]);
    expect(call.reason).toBe('PAST_DUE');
    const refused = await world.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM draw WHERE credit_line_id = $1::uuid AND amount = 50`, [lineId]);
    expect(refused[0].n).toBe(0);
  } finally {
    await world.close();
  }
}, 180_000);
