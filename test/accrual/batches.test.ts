import { accrueDate, listLinesToAccrue } from '../../prisma/accrual/store';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { CLOCK, createParties, draw, ledgerSnapshot, openLine } from './factories';

/**
 * 300 lines of 10 000.00 USD at 12 % ACT/360, opened 1 Nov 2026: each accrues
 * 10 000 × 0.12 ÷ 360 = 3.333… → 3.33 on its first day, so 300 × 3.33 = 999.00.
 * Around them: a CLOSED line and a line opened on 2 Nov, neither accrues on 1 Nov;
 * one EUR line of 36 000.00 (36 000 × 0.12 ÷ 360 = 12.00), FROZEN, still accrues.
 */
const LINES = 300;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const parties = await createParties(db.prisma);
  for (let i = 0; i < LINES; i++) {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
    await draw(db.prisma, line, '2026-11-01', '10000.00');
  }
  const closed = await openLine(db.prisma, parties, { openedOn: '2026-10-01', status: 'CLOSED' });
  await draw(db.prisma, closed, '2026-10-01', '10000.00');
  const later = await openLine(db.prisma, parties, { openedOn: '2026-11-02' });
  await draw(db.prisma, later, '2026-11-02', '10000.00');
  const frozen = await openLine(db.prisma, parties, { openedOn: '2026-11-01', status: 'FROZEN', currency: 'EUR' });
  await draw(db.prisma, frozen, '2026-11-01', '36000.00');
}, 120_000);
afterAll(() => db.close());

test('lines to accrue are paged by id: ACTIVE, FROZEN and IN_DEFAULT lines opened on or before the date', async () => {
  const seen: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await listLinesToAccrue(db.prisma, '2026-11-01', after, 128);
    if (page.length === 0) break;
    seen.push(...page);
    after = page[page.length - 1];
  }
  expect(seen).toHaveLength(LINES + 1);
  expect([...seen].sort()).toEqual(seen);
  expect(await listLinesToAccrue(db.prisma, '2026-11-02', null, 1000)).toHaveLength(LINES + 2);
});

test('accrueDate over 301 lines in batches of 64 accrues each exactly once; a second run posts nothing', async () => {
  const first = await accrueDate(db.prisma, '2026-11-01', { batchSize: 64, concurrency: 8, ...CLOCK });
  expect(first).toEqual({
    accrualDate: '2026-11-01',
    linesAccrued: LINES + 1,
    linesAlreadyAccrued: 0,
    daysCaughtUp: 0,
    postedByCurrency: { EUR: '12.00', USD: '999.00' },
    linesFailed: 0,
    failures: [],
  });
  const [{ n: rows }] = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM interest_accrual WHERE accrual_date = '2026-11-01'`);
  expect(rows).toBe(LINES + 1);
  const before = await ledgerSnapshot((text) => db.sql(text));

  const second = await accrueDate(db.prisma, '2026-11-01', { batchSize: 64, concurrency: 8, ...CLOCK });
  expect(second).toEqual({ accrualDate: '2026-11-01', linesAccrued: 0, linesAlreadyAccrued: LINES + 1, daysCaughtUp: 0, postedByCurrency: {}, linesFailed: 0, failures: [] });
  expect(await ledgerSnapshot((text) => db.sql(text))).toEqual(before);
});

test('a batch larger than the limit is refused', async () => {
  await expect(listLinesToAccrue(db.prisma, '2026-11-01', null, 1001)).rejects.toMatchObject({ code: 'accrual_batch_too_large' });
});
