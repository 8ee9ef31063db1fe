import { Money } from '../../domain/money';
import { accrualsOfLine, accrueLines } from '../../prisma/accrual/store';
import { postEntry } from '../../prisma/ledger/store';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { CLOCK, createParties, draw, openLine, type Parties } from './factories';

let db: TestDatabase;
let parties: Parties;

beforeAll(async () => {
  db = await createTestDatabase();
  parties = await createParties(db.prisma);
});
afterAll(() => db.close());

test('a batch posts the very entry postEntry would: posting it again by hand is a replay, not a conflicting key', async () => {
  // 360 000.00 × 0.12 ÷ 360 = 120.00 for the day.
  const line = await openLine(db.prisma, parties, { openedOn: '2026-12-01' });
  await draw(db.prisma, line, '2026-12-01', '360000.00');
  expect(await accrueLines(db.prisma, '2026-12-01', [line.id], CLOCK)).toEqual({
    accrualDate: '2026-12-01',
    linesAccrued: 1,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: { USD: '120.00' },
    linesFailed: 0,
    failures: [],
  });
  const interest = Money.of('120.00', 'USD');
  const again = await postEntry(db.prisma, {
    idempotencyKey: `accrual:${line.id}:2026-12-01`,
    description: 'Interest for 2026-12-01: 360 000.00 USD × 0.12 × 1/360 (ACT_360)',
    effectiveDate: '2026-12-01',
    accountSetId: line.id,
    metadata: { kind: 'interest_accrual', creditLineId: line.id, accrualDate: '2026-12-01' },
    lines: [
      { accountId: line.accountIds.INTEREST_RECEIVABLE, side: 'DEBIT', amount: interest },
      { accountId: line.accountIds.INTEREST_INCOME, side: 'CREDIT', amount: interest },
    ],
  });
  expect(again.replayed).toBe(true);
  const [row] = await accrualsOfLine(db.prisma, line.id, { from: '2026-12-01', to: '2026-12-01' });
  expect(row.ledgerEntryId).toBe(again.id);
});

test('in one batch: a line that fell behind catches up day by day, a current line accrues, an accrued one is counted', async () => {
  // Each 100 000.00 at 12 % ACT/360: 33.333… a day → 33.33, 33.34, 33.33.
  const behind = await openLine(db.prisma, parties, { openedOn: '2026-12-10' });
  const current = await openLine(db.prisma, parties, { openedOn: '2026-12-12' });
  const accrued = await openLine(db.prisma, parties, { openedOn: '2026-12-12' });
  for (const line of [behind, current, accrued]) await draw(db.prisma, line, line === behind ? '2026-12-10' : '2026-12-12', '100000.00');
  await accrueLines(db.prisma, '2026-12-12', [accrued.id], CLOCK);

  const counts = await accrueLines(db.prisma, '2026-12-12', [behind.id, current.id, accrued.id, current.id], CLOCK);
  // 3 days of `behind` (66.67 caught up + 33.33) and one day of `current` (33.33).
  expect(counts).toEqual({ accrualDate: '2026-12-12', linesAccrued: 2, linesAlreadyAccrued: 2, daysCaughtUp: 2, postedByCurrency: { USD: '133.33' }, linesFailed: 0, failures: [] });
  const days = await accrualsOfLine(db.prisma, behind.id, { from: '2026-12-01', to: '2026-12-31' });
  expect(days.map((day) => [day.accrualDate, day.postedInterest.toFixedString()])).toEqual([
    ['2026-12-10', '33.33'],
    ['2026-12-11', '33.34'],
    ['2026-12-12', '33.33'],
  ]);
  days.slice(1).forEach((day, index) => expect(day.carriedIn.equals(days[index].carriedOut)).toBe(true));
});

test('principal posted with a later effective date is not in the day\'s principal', async () => {
  const line = await openLine(db.prisma, parties, { openedOn: '2026-12-20' });
  await draw(db.prisma, line, '2026-12-20', '36000.00'); // 12.00 a day
  await draw(db.prisma, line, '2026-12-22', '36000.00'); // effective two days later
  await accrueLines(db.prisma, '2026-12-20', [line.id], CLOCK);
  const [day] = await accrualsOfLine(db.prisma, line.id, { from: '2026-12-20', to: '2026-12-20' });
  expect(day.outstandingPrincipal.toFixedString()).toBe('36000.00');
  expect(day.postedInterest.toFixedString()).toBe('12.00');
});

test('a line the batch cannot accrue on that date is counted as failed with accrueLineDay\'s reason, and the others accrue', async () => {
  const early = await openLine(db.prisma, parties, { openedOn: '2026-12-25' });
  const open = await openLine(db.prisma, parties, { openedOn: '2026-12-24' });
  await draw(db.prisma, open, '2026-12-24', '36000.00'); // 12.00 a day
  expect(await accrueLines(db.prisma, '2026-12-24', [early.id, open.id], CLOCK)).toEqual({
    accrualDate: '2026-12-24',
    linesAccrued: 1,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: { USD: '12.00' },
    linesFailed: 1,
    failures: [{ lineId: early.id, reason: `credit line ${early.id} opened on 2026-12-25; it accrues no interest for 2026-12-24` }],
  });
});
