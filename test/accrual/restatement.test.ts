import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { D, Money } from '../../domain/money';
import { accrualsOfLine, accrueLineDay, accrueLines, addDays } from '../../prisma/accrual/store';
import { postEntry, statement } from '../../prisma/ledger/store';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { CLOCK, createParties, draw, openLine, repay, type AccruingLine, type Parties } from './factories';

let db: TestDatabase;
let parties: Parties;

beforeAll(async () => {
  db = await createTestDatabase();
  parties = await createParties(db.prisma);
});
afterAll(() => db.close());

async function balance(line: AccruingLine, code: 'INTEREST_RECEIVABLE' | 'INTEREST_INCOME' | 'SELLER_PAYABLE'): Promise<string> {
  const [row] = await db.sql<{ balance: string }>(`SELECT balance::text AS balance FROM ledger_account WHERE id = $1`, [line.accountIds[code]]);
  return new D(row.balance).toFixed(2);
}

async function restatementRows(line: AccruingLine) {
  return db.sql<{ restated_date: string; restated_by: string; principal_before: string; principal_after: string; interest_difference: string }>(
    `SELECT restated_date::text, restated_by::text, principal_before::text, principal_after::text, interest_difference::text
       FROM interest_restatement WHERE credit_line_id = $1 ORDER BY restated_date, restated_by`,
    [line.id],
  );
}

test('yesterday\'s wire recorded after the nightly run: the next accrual restates the days it changed, as its own linked entry', async () => {
  // 36 000.00 at 12 % ACT/360 is 12.00 a day; 1–3 Nov are accrued (36.00). Then a repayment of
  // 18 000.00 dated 2 Nov is recorded: 2 and 3 Nov should have been 6.00 each, 6.00 less each.
  // Accruing 4 Nov posts the restatement −12.00 (its own entry) and 4 Nov's 6.00: 36.00 − 12.00 + 6.00 = 30.00,
  // exactly 12.00 + 3 × 6.00 on the real history.
  const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
  await draw(db.prisma, line, '2026-11-01', '36000.00');
  await accrueLines(db.prisma, '2026-11-03', [line.id], CLOCK);
  await repay(db.prisma, line, '2026-11-02', '18000.00');
  const counts = await accrueLines(db.prisma, '2026-11-04', [line.id], CLOCK);
  expect(counts).toMatchObject({ linesAccrued: 1, linesFailed: 0, postedByCurrency: { USD: '-6.00' } });

  const [day] = await accrualsOfLine(db.prisma, line.id, { from: '2026-11-04', to: '2026-11-04' });
  expect(day.postedInterest.toFixedString()).toBe('6.00');
  expect(day.restatedInterest.toFixed()).toBe('-12');
  expect(day.restatementPosted.toFixedString()).toBe('-12.00');
  expect(day.restatementEntryId).not.toBeNull();
  expect(await restatementRows(line)).toEqual([
    { restated_date: '2026-11-02', restated_by: '2026-11-04', principal_before: '36000.00', principal_after: '18000.00', interest_difference: '-6' },
    { restated_date: '2026-11-03', restated_by: '2026-11-04', principal_before: '36000.00', principal_after: '18000.00', interest_difference: '-6' },
  ]);
  expect(await balance(line, 'INTEREST_RECEIVABLE')).toBe('30.00');
  expect(await balance(line, 'INTEREST_INCOME')).toBe('30.00');

  // In the statement, dated 4 Nov, saying which days it restates.
  const receivable = (await statement(db.prisma, { accountSetId: line.id, from: '2026-11-01', to: '2026-11-04' })).accounts.find((account) => account.code === 'INTEREST_RECEIVABLE');
  const restating = receivable?.lines.find((entry) => entry.entryId === day.restatementEntryId);
  expect(restating?.credit?.toFixedString()).toBe('12.00');
  expect(restating).toMatchObject({
    effectiveDate: '2026-11-04',
    description: expect.stringMatching(/^Interest restated for 2026-11-02 to 2026-11-03: principal changed after those days were accrued .*, −12\.00 USD$/),
  });

  // The next night finds nothing to restate: the days are charged on what they now had.
  await accrueLineDay(db.prisma, line.id, '2026-11-05', CLOCK);
  const [fifth] = await accrualsOfLine(db.prisma, line.id, { from: '2026-11-05', to: '2026-11-05' });
  expect(fifth.restatementPosted.toFixedString()).toBe('0.00');
  expect(fifth.restatementEntryId).toBeNull();
  expect(await balance(line, 'INTEREST_RECEIVABLE')).toBe('36.00');
});

test('interest over-charged and already paid is owed back to the seller', async () => {
  // 1–2 Nov accrued on 36 000.00 (24.00) and paid; then a repayment of all 36 000.00 dated 2 Nov: 2 Nov owed nothing.
  const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
  await draw(db.prisma, line, '2026-11-01', '36000.00');
  await accrueLineDay(db.prisma, line.id, '2026-11-02', CLOCK);
  const paid = Money.of('24.00', 'USD');
  await postEntry(db.prisma, {
    idempotencyKey: `${line.id}:interest-paid`,
    description: 'interest paid',
    effectiveDate: '2026-11-02',
    accountSetId: line.id,
    lines: [
      { accountId: line.accountIds.COLLECTION, side: 'DEBIT', amount: paid },
      { accountId: line.accountIds.INTEREST_RECEIVABLE, side: 'CREDIT', amount: paid },
    ],
  });
  await repay(db.prisma, line, '2026-11-02', '36000.00');
  await accrueLineDay(db.prisma, line.id, '2026-11-03', CLOCK);
  expect(await balance(line, 'INTEREST_RECEIVABLE')).toBe('0.00');
  expect(await balance(line, 'SELLER_PAYABLE')).toBe('12.00');
  expect(await balance(line, 'INTEREST_INCOME')).toBe('12.00');
});

/** Principal on each day (index 0 = the opening day) from postings (effective day index, signed amount in cents). */
function principalHistory(postings: readonly { day: number; cents: bigint }[], days: number): bigint[] {
  return Array.from({ length: days }, (_, day) => postings.filter((posting) => posting.day <= day).reduce((sum, posting) => sum + posting.cents, 0n));
}

test('property: with back-dated draws and repayments inside accrued days, interest posted equals the exact interest on the real history within 0.01', async () => {
  const DAYS = 10;
  const operation = fc.record({
    recordedOnDay: fc.integer({ min: 0, max: DAYS - 1 }),
    daysBack: fc.integer({ min: 0, max: 6 }),
    cents: fc.bigInt({ min: -5_000_000_00n, max: 10_000_000_00n }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(operation, { minLength: 1, maxLength: 12 }),
      fc.constantFrom('0.12', '0.0725', '0.3333'),
      fc.constantFrom('ACT_360' as const, 'ACT_365' as const),
      fc.array(fc.boolean(), { minLength: DAYS, maxLength: DAYS }),
      async (operations, rate, dayCount, batchPathByDay) => {
        const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01', annualInterestRate: rate, dayCount });
        const posted: { day: number; cents: bigint }[] = [];
        for (let day = 0; day < DAYS; day++) {
          // Postings recorded on `day` (before its accrual), dated up to 6 days back: into days already accrued.
          for (const op of operations.filter((candidate) => candidate.recordedOnDay === day)) {
            const effective = Math.max(0, day - op.daysBack);
            const candidate = [...posted, { day: effective, cents: op.cents }];
            // Money that did not exist is never repaid: a repayment that would make any day's principal negative is skipped.
            if (op.cents === 0n || principalHistory(candidate, DAYS).some((cents) => cents < 0n)) continue;
            posted.push({ day: effective, cents: op.cents });
            const amount = Money.of(new D((op.cents < 0n ? -op.cents : op.cents).toString()).dividedBy(100), 'USD');
            const [debit, credit] = op.cents > 0n ? (['LOAN_PRINCIPAL', 'LENDER_FUNDING'] as const) : (['COLLECTION', 'LOAN_PRINCIPAL'] as const);
            await postEntry(db.prisma, {
              idempotencyKey: `${line.id}:${randomUUID()}`,
              description: 'principal',
              effectiveDate: addDays('2026-11-01', effective),
              accountSetId: line.id,
              lines: [
                { accountId: line.accountIds[debit], side: 'DEBIT', amount },
                { accountId: line.accountIds[credit], side: 'CREDIT', amount },
              ],
            });
          }
          const date = addDays('2026-11-01', day);
          if (batchPathByDay[day]) await accrueLines(db.prisma, date, [line.id], CLOCK);
          else await accrueLineDay(db.prisma, line.id, date, CLOCK);
        }
        const basis = dayCount === 'ACT_360' ? 360 : 365;
        const exact = principalHistory(posted, DAYS).reduce((sum, cents) => sum.plus(new D(cents.toString()).dividedBy(100).times(rate).dividedBy(basis)), new D(0));
        const rows = await accrualsOfLine(db.prisma, line.id, { from: '2026-11-01', to: addDays('2026-11-01', DAYS - 1) });
        expect(rows).toHaveLength(DAYS);
        const totalPosted = rows.reduce((sum, row) => sum.plus(row.postedInterest.amount).plus(row.restatementPosted.amount), new D(0));
        expect(totalPosted.minus(exact).abs().lte('0.01')).toBe(true);
        // The ledger agrees: what accrual posted is what the interest accounts hold.
        expect(new D(await balance(line, 'INTEREST_INCOME')).equals(totalPosted)).toBe(true);
      },
    ),
    { numRuns: 25 },
  );
  // 25 lines of ten days each, accrued day by day: 15–35 s on this machine alone, longer while other test
  // files share it (it timed out at Jest's default 30 s in CI). The bound guards against a hang, not speed.
}, 180_000);
