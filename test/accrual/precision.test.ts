import fc from 'fast-check';
import { accrueDay, INTEREST_SCALE } from '../../domain/interest';
import { D, Money } from '../../domain/money';
import { accrualsOfLine, accrueLineDay, accrueLines } from '../../prisma/accrual/store';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { CLOCK, createParties, draw, openLine, type Parties } from './factories';

let db: TestDatabase;
let parties: Parties;

beforeAll(async () => {
  db = await createTestDatabase();
  parties = await createParties(db.prisma);
});
afterAll(() => db.close());


describe.each([
  ['one line at a time', (lineId: string, date: string) => accrueLineDay(db.prisma, lineId, date, CLOCK)],
  ['in a batch', (lineId: string, date: string) => accrueLines(db.prisma, date, [lineId], CLOCK)],
])('%s', (_path, accrue) => {
  test('daily interest gaining a digit (29 000.00 → 31 000.00 at 12 % ACT/360) still accrues', async () => {
    const line = await openLine(db.prisma, parties, { openedOn: '2026-11-01' });
    await draw(db.prisma, line, '2026-11-01', '29000.00');
    await draw(db.prisma, line, '2026-11-03', '2000.00');
    await accrue(line.id, '2026-11-04');
    const days = await accrualsOfLine(db.prisma, line.id, { from: '2026-11-01', to: '2026-11-04' });
    // 29 000 × 0.12 ÷ 360 = 9.6666…: 9.67 (carry −0.00333…), 9.66 (+0.00333…), then
    // 31 000 × 0.12 ÷ 360 = 10.3333…: 10.3333… + 0.0033… = 10.3366… → 10.34 (carry −0.00333…), 10.33.
    expect(days.map((day) => [day.accrualDate, day.outstandingPrincipal.toFixedString(), day.postedInterest.toFixedString()])).toEqual([
      ['2026-11-01', '29000.00', '9.67'],
      ['2026-11-02', '29000.00', '9.66'],
      ['2026-11-03', '31000.00', '10.34'],
      ['2026-11-04', '31000.00', '10.33'],
    ]);
    expect(days.map((day) => day.exactInterest.toFixed())).toEqual([
      '9.666666666666666667',
      '9.666666666666666667',
      '10.333333333333333333',
      '10.333333333333333333',
    ]);
    expect(days.map((day) => day.carriedOut.toFixed())).toEqual([
      '-0.003333333333333333',
      '0.003333333333333334',
      '-0.003333333333333333',
      '0',
    ]);
    // The remainder chain is unbroken: what one day carries out, the next carries in.
    expect(days.slice(1).map((day) => day.carriedIn.toFixed())).toEqual(days.slice(0, -1).map((day) => day.carriedOut.toFixed()));
  });
});

test('the database accepts every accrual row the code produces (random principals, rates, remainders)', async () => {
  // A scratch table with interest_accrual's own columns and CHECKs (not its foreign keys), so that
  // thousands of rows are checked by the real constraints without lines and entries behind them.
  await db.sql(`CREATE TABLE accrual_row_check (LIKE interest_accrual INCLUDING CONSTRAINTS INCLUDING DEFAULTS)`);
  const checks = await db.sql<{ conname: string }>(
    `SELECT conname FROM pg_constraint WHERE conrelid = 'accrual_row_check'::regclass AND contype = 'c' ORDER BY conname`,
  );
  expect(checks.map((check) => check.conname)).toEqual(
    expect.arrayContaining(['interest_accrual_figures_not_negative', 'interest_accrual_interest_scale', 'interest_accrual_remainder_carried']),
  );
  const currencyArb = fc.constantFrom('USD', 'JPY', 'KWD');
  const principalArb = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 22n }), currencyArb);
  const rateArb = fc.integer({ min: 0, max: 1_000_000 }).map((millionths) => new D(millionths).dividedBy(1_000_000));
  const remainderArb = fc.integer({ min: -500_000, max: 500_000 }).map((n) => new D(n).dividedBy(1_000_000)); // ± half a unit
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(principalArb, rateArb, fc.constantFrom('ACT_360' as const, 'ACT_365' as const), remainderArb, fc.boolean()), { minLength: 1, maxLength: 20 }),
      async (samples) => {
        const rows = samples.map(([[minorUnits, currency], annualRate, dayCount, remainderFraction, growingDigits], index) => {
          const scale = currency === 'USD' ? 2 : currency === 'KWD' ? 3 : 0;
          const principal = Money.of(new D(minorUnits.toString()).times(new D(10).pow(-scale)), currency);
          const halfUnit = new D(10).pow(-scale).dividedBy(2);
          const carriedIn = remainderFraction.times(halfUnit).times(2).toDecimalPlaces(INTEREST_SCALE);
          // Feed yesterday's remainder in, as the chain does, when asked to (the digit-gaining case).
          const first = accrueDay({ date: '2026-11-02', outstandingPrincipal: principal, annualRate, dayCount, carriedRemainder: carriedIn });
          const grown = Money.of(principal.amount.times(growingDigits ? 10 : 1), currency);
          const day = accrueDay({ date: '2026-11-02', outstandingPrincipal: grown, annualRate, dayCount, carriedRemainder: first.carriedRemainder });
          return [
            `('00000000-0000-0000-0000-000000000000', DATE '2026-01-01' + ${index}, '${currency}', ${annualRate.toFixed()}, '${dayCount}',`,
            ` ${grown.amount.toFixed()}, ${day.exactInterest.toFixed()}, ${first.carriedRemainder.toFixed()}, ${day.posted.amount.toFixed()}, ${day.carriedRemainder.toFixed()},`,
            ` ${day.posted.isPositive() ? `gen_random_uuid()` : 'NULL'})`,
          ].join('');
        });
        await db.sql(`BEGIN`);
        try {
          await db.sql(`INSERT INTO accrual_row_check (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
                          outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id) VALUES ${rows.join(',')}`);
        } finally {
          await db.sql(`ROLLBACK`);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('the database refuses an interest figure finer than the policy scale', async () => {
  await db.sql(`CREATE TABLE IF NOT EXISTS accrual_row_check (LIKE interest_accrual INCLUDING CONSTRAINTS INCLUDING DEFAULTS)`);
  await expect(
    db.sql(`INSERT INTO accrual_row_check (credit_line_id, accrual_date, currency, annual_interest_rate, day_count,
              outstanding_principal, exact_interest, carried_in, posted_interest, carried_out, ledger_entry_id)
            VALUES ('00000000-0000-0000-0000-000000000000', '2026-01-01', 'USD', 0.12, 'ACT_360',
                    30000, 10.0000000000000000001, 0, 10.00, 0.0000000000000000001, gen_random_uuid())`),
  ).rejects.toThrow(/interest_accrual_interest_scale/);
});
