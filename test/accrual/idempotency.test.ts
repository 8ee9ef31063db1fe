import { accrualsOfLine, accrueDate, accrueLineDay, datesFromTo } from '../../prisma/accrual/store';
import { balances } from '../../prisma/ledger/store';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { CLOCK, createParties, draw, ledgerSnapshot, openLine, type Parties } from './factories';

let db: TestDatabase;
let parties: Parties;
const sql = (text: string) => db.sql(text);

beforeAll(async () => {
  db = await createTestDatabase();
  parties = await createParties(db.prisma);
});
afterAll(() => db.close());

describe('each line-day accrues once', () => {
  test('re-running a date, or the whole range, posts nothing new', async () => {
    // 100 000.00 at 12 % ACT/360: 33.333… a day → 33.33, 33.34, 33.33 → 100.00 over 3 days.
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-01' });
    await draw(db.prisma, line, '2026-10-01', '100000.00');
    const october = datesFromTo('2026-10-01', '2026-10-03');
    for (const date of october) await accrueLineDay(db.prisma, line.id, date, CLOCK);
    const before = await ledgerSnapshot(sql);

    const again = await accrueLineDay(db.prisma, line.id, '2026-10-02', CLOCK);
    expect(again).toMatchObject({ alreadyAccrued: true, daysCaughtUp: 0 });
    expect(again.accrual.postedInterest.toFixedString()).toBe('33.34');
    for (const date of october) await accrueLineDay(db.prisma, line.id, date, CLOCK);

    expect(await ledgerSnapshot(sql)).toEqual(before);
    const [receivable] = await balances(db.prisma, { accountIds: [line.accountIds.INTEREST_RECEIVABLE] });
    expect(receivable.balance.toFixedString()).toBe('100.00');
  });

  test('concurrent accrual of the same line-day writes exactly one row and one entry', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-05' });
    await draw(db.prisma, line, '2026-10-05', '360000.00'); // 360 000 × 0.12 ÷ 360 = 120.00 a day
    const results = await Promise.all(Array.from({ length: 8 }, () => accrueLineDay(db.prisma, line.id, '2026-10-05', CLOCK)));
    expect(results.filter((result) => !result.alreadyAccrued)).toHaveLength(1);
    expect(new Set(results.map((result) => result.accrual.ledgerEntryId)).size).toBe(1);
    const rows = await db.sql(`SELECT posted_interest::text AS posted FROM interest_accrual WHERE credit_line_id = $1`, [line.id]);
    expect(rows).toEqual([{ posted: '120.00' }]);
    const entries = await db.sql(`SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = $1`, [`accrual:${line.id}:2026-10-05`]);
    expect(entries).toEqual([{ n: 1 }]);
  });

  test('a day with nothing outstanding is recorded with 0.00 and no entry', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-07' });
    const result = await accrueLineDay(db.prisma, line.id, '2026-10-07', CLOCK);
    expect(result.accrual.postedInterest.toFixedString()).toBe('0.00');
    expect(result.accrual.ledgerEntryId).toBeNull();
  });
});

describe('accrual runs forward', () => {
  test('a date before the latest accrued day is refused and writes nothing', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-10' });
    await draw(db.prisma, line, '2026-10-10', '100000.00');
    await accrueLineDay(db.prisma, line.id, '2026-10-10', CLOCK);
    await accrueLineDay(db.prisma, line.id, '2026-10-11', CLOCK);
    // Nothing was skipped, so "earlier" can only mean before the line opened.
    const before = await ledgerSnapshot(sql);
    await expect(accrueLineDay(db.prisma, line.id, '2026-10-09', CLOCK)).rejects.toMatchObject({ name: 'BusinessRuleError', code: 'accrual_runs_forward' });
    expect(await ledgerSnapshot(sql)).toEqual(before);
  });

  test('a later row without the day itself is refused: the chain of remainders would break', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-15' });
    // A row written out of order by hand (accrual itself never does this).
    await db.sql(
      `INSERT INTO interest_accrual (credit_line_id, accrual_date, currency, annual_interest_rate, day_count, outstanding_principal, exact_interest, carried_in, posted_interest, carried_out)
       VALUES ($1, '2026-10-20', 'USD', 0.12, 'ACT_360', 0, 0, 0, 0, 0)`,
      [line.id],
    );
    await expect(accrueLineDay(db.prisma, line.id, '2026-10-18', CLOCK)).rejects.toThrow(/accrued up to 2026-10-20; 2026-10-18 is earlier/);
  });

  test('a line that fell behind catches up day by day, in order, before the date asked for', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-21' });
    await draw(db.prisma, line, '2026-10-21', '100000.00');
    const result = await accrueLineDay(db.prisma, line.id, '2026-10-23', CLOCK);
    expect(result).toMatchObject({ alreadyAccrued: false, daysCaughtUp: 2 });
    expect(result.caughtUpPosted.toFixedString()).toBe('66.67'); // 33.33 + 33.34
    const days = await accrualsOfLine(db.prisma, line.id, { from: '2026-10-01', to: '2026-10-31' });
    expect(days.map((day) => [day.accrualDate, day.postedInterest.toFixedString()])).toEqual([
      ['2026-10-21', '33.33'],
      ['2026-10-22', '33.34'],
      ['2026-10-23', '33.33'],
    ]);
  });

  test('accrued days are append-only', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-10-25' });
    await accrueLineDay(db.prisma, line.id, '2026-10-25', CLOCK);
    await expect(db.sql(`UPDATE interest_accrual SET posted_interest = 1 WHERE credit_line_id = $1`, [line.id])).rejects.toThrow();
    await expect(db.sql(`DELETE FROM interest_accrual WHERE credit_line_id = $1`, [line.id])).rejects.toThrow();
  });
});

describe('re-running accrueDate', () => {
  test('over a range already accrued counts every line as already accrued and posts nothing', async () => {
    const range = datesFromTo('2026-11-01', '2026-11-05');
    for (const date of range) await accrueDate(db.prisma, date, { batchSize: 3, ...CLOCK });
    const before = await ledgerSnapshot(sql);
    const lineCount = (await db.sql(`SELECT count(*)::int AS n FROM credit_line`))[0].n;
    for (const date of range) {
      expect(await accrueDate(db.prisma, date, { batchSize: 3, ...CLOCK })).toEqual({
        accrualDate: date,
        linesAccrued: 0,
        linesAlreadyAccrued: lineCount,
        daysCaughtUp: 0,
        postedByCurrency: {},
        linesFailed: 0,
        failures: [],
      });
    }
    expect(await ledgerSnapshot(sql)).toEqual(before);
  });
});
