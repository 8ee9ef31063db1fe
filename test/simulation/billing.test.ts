/**
 * Interest billing in one fixed sequence, every invariant checked after every step (among them
 * billedInterestIsWhatWasPosted: each bill is exactly the interest posted for its days, the unpaid bills at most the
 * receivable): a drawn line is amended to bill on tomorrow's day of the month (the 1st when that is past the 28th), due after 2 days; the nights
 * bill, the bill falls past due and overdue (grace 0), a repayment pays interest first and settles the bill, and
 * billing is removed. Afterwards the database shows a bill was written, fell overdue, and was paid.
 */
import fc from 'fast-check';
import { AdvanceTime, AmendTerms, DecideDraw, PriceMark, Repay, RequestDraw, emptyModel } from './commands';
import { World } from './world';

test('a line billed monthly: a bill written, past due, overdue, settled by a repayment, billing removed — every invariant kept', async () => {
  const world = await World.create({ dayCount: 'ACT_360' });
  try {
    await fc.asyncModelRun(async () => ({ model: emptyModel(), real: world }), [
      new RequestDraw('9000.00', false),
      new DecideDraw(0, 0, 'approve'),
      new AmendTerms({ kind: 'billing', inDays: 1, dueAfterDays: 2 }, 0, 0, 'accept'),
      new AdvanceTime(49),
      new PriceMark('1.20', 0, '80'),
      new AdvanceTime(49),
      new PriceMark('1.20', 0, '80'),
      new AdvanceTime(49),
      new PriceMark('1.20', 0, '80'),
      new AdvanceTime(49),
      new PriceMark('1.20', 0, '80'),
      new Repay('1000.00', 0),
      new AdvanceTime(25),
      new AmendTerms({ kind: 'billing', inDays: null, dueAfterDays: 0 }, 0, 1, 'accept'),
      new AdvanceTime(25),
    ]);
    const lineId = world.lineIds[0];
    const bills = await world.db.sql<{ amount: string }>(`SELECT amount::text FROM interest_bill WHERE credit_line_id = $1::uuid`, [lineId]);
    expect(bills.length).toBe(1);
    const told = await world.db.sql<{ kind: string }>(`SELECT kind FROM line_delinquency_event WHERE credit_line_id = $1::uuid ORDER BY recorded_at, kind`, [lineId]);
    expect(told.map((row) => row.kind)).toEqual(['OVERDUE']);
    const listed = await world.call(world.lender, 'get', `/credit-lines/${lineId}/interest-bills`);
    expect(listed.body.items.map((bill: { unpaid: { amount: string } }) => bill.unpaid.amount)).toEqual(['0.00']);
    const delinquency = await world.call(world.lender, 'get', `/credit-lines/${lineId}/delinquency`);
    expect(delinquency.body).toMatchObject({ daysPastDue: 0, bucket: 'CURRENT', billedInterestUnpaid: { amount: '0.00', currency: 'USD' } });
  } finally {
    await world.close();
  }
}, 180_000);
