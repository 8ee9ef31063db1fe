/**
 * Counterexamples found by long simulation runs (`npm run simulate -- --runs N --seed S`), each
 * written out as its shrunk command sequence so that it keeps testing the same thing as the
 * command generators change. Every invariant is checked after every step; a broken one throws.
 */
import { Adjust, AdvanceTime, ConfirmRelease, Concurrently, Count, DecideDraw, FailNextStart, LenderAuthorisesRelease, PaySale, Pledge, Repay, ReportSale, RequestDraw, Split } from './commands';
import { runSequence } from './run';

describe('simulation counterexamples stay fixed', () => {
  // Seed 8080, path 20:3:1:8:3:4:4:4: the lender authorised the release of a whole pledged lot,
  // then a shrinkage of 1 kg was allocated to that order as short. The invariant (and the command
  // confirming "what is open") counted the order's authorised − released, forgetting the short
  // kilogram that will never leave: the lot "held 59 999 of 60 000 authorised".
  test('seed 8080: a loss allocated as short to a release order is no longer outstanding', async () => {
    await runSequence([
      new FailNextStart(),
      new LenderAuthorisesRelease(0, 1),
      new Concurrently(new Adjust(0, '-1', 'SHRINKAGE'), new PaySale(0, 0.1, 0)),
      new ConfirmRelease(0, 1),
    ]);
  }, 60_000);

  test('seed 8080, sequentially: the warehouse confirms all that is left of a shortened order', async () => {
    // The model learns the world's lots after the first step: FailNextStart is a harmless first step.
    await runSequence([new FailNextStart(), new LenderAuthorisesRelease(0, 0.5), new Adjust(0, '-40000', 'SHRINKAGE'), new ConfirmRelease(0, 1), new ConfirmRelease(0, 1)]);
  }, 60_000);

  // Seed 20261203, path 55:3:2:5:…: a repayment and a shrinkage at once took availability from
  // 214.91 to −0.01. The shrinkage (a warehouse's physical finding) may do that; the pair was
  // judged as if it were the seller's own act. A pair is a party's act only when both are.
  test('seed 20261203: a physical loss beside a repayment is not judged as the party\'s act', async () => {
    await runSequence([
      new RequestDraw('3025.09', false),
      new Split(0, 0.1),
      new Count(0, '-2000', 0),
      new Concurrently(new Repay('10.00', 0), new Adjust(17, '-398', 'SHRINKAGE')),
    ]);
  }, 60_000);

  // Seed 777001: with no principal outstanding and three draws reserved (11 137.51), a buyer paid half
  // of a sale at 0.30/kg; nothing was owed, so the waterfall sent the fee to the lender and the rest to
  // the seller, and the paid half of the goods left the borrowing base: availability went from
  // 3 037.49 to −0.01, the reservations uncovered by the lender's own recording of the cash. The
  // newest reservation is now refused in that same transaction.
  test('seed 777001: a buyer\'s payment that takes the goods out of the borrowing base refuses the reservations it leaves uncovered', async () => {
    await runSequence([
      new RequestDraw('4821.21', false),
      new ReportSale(0, 0.75, '0.30', 1),
      new Concurrently(new RequestDraw('3001.69', false), new RequestDraw('3314.61', true)),
      new PaySale(0, 0.5, 0),
    ]);
  }, 60_000);

  // Seed 86400, path 115:5:9:8:…: a count found 50 kg missing and two days passed; the line was
  // already short (availability −1 440.01). The lender authorised the release of a tenth of a lot
  // and the warehouse's confirmation took availability further down, to −1 476.01.
  test('seed 86400: a release the lender authorised on a line already short does not make it shorter', async () => {
    await runSequence(
      [
        new RequestDraw('5040.01', false),
        new Pledge(3),
        new DecideDraw(0, 0, 'approve'),
        new Count(0, '-50', 0),
        new AdvanceTime(49),
        new LenderAuthorisesRelease(7, 0.1),
        new ConfirmRelease(0, 0.1),
      ],
      { dayCount: 'ACT_360' },
    );
  }, 60_000);
});
