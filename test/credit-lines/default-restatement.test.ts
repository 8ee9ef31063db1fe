/**
 * Default interest restated like interest: a repayment dated into days already charged default interest (recorded
 * after their nightly runs) makes the next accrual post the difference as its own entry, linked to the days it
 * restates, so that Σ default interest = the exact default interest on the real overdue principal within 0.01.
 *
 * The line (ACT/360, fixed 12 %) opens 2026-09-01; version 2 from that day: maturity 2026-09-11, no grace period,
 * default interest 3.00 % p.a., never IN_DEFAULT by itself. 36 000.00 is drawn on 09-01. Nights 09-01 … 09-15 run:
 * default interest is charged on 09-11 … 09-15, each day 36 000 × 0.03 ÷ 360 = 3.00: 15.00, nothing carried.
 *
 * On 09-16, before its night, a repayment of 16 195.00 dated 09-13 (three days back) is recorded through the API:
 * it pays the 195.00 of interest owed (15 × 12.00 + 15.00) and 16 000.00 of principal, so the overdue principal of
 * 09-13, 09-14 and 09-15 was 20 000.00, not 36 000.00. A day of default interest on 20 000.00:
 * 20 000 × 0.03 ÷ 360 = 1.666666666666666667 (18 places, half-even).
 *
 *   day    charged on   real       charged                 real                    difference
 *   09-13  36 000.00    20 000.00  3                       1.666666666666666667    −1.333333333333333333
 *   09-14  36 000.00    20 000.00  3                       1.666666666666666667    −1.333333333333333333
 *   09-15  36 000.00    20 000.00  3                       1.666666666666666667    −1.333333333333333333
 *                                                                restated Σ       −3.999999999999999999
 *
 * The night of 09-16 (one row, two entries):
 *   restated −3.999999999999999999 + carried in 0 = −3.999999999999999999 → restatement entry −4.00, carried 0.000000000000000001
 *   09-16 itself 1.666666666666666667 + 0.000000000000000001 = 1.666666666666666668 → 1.67, carried −0.003333333333333332
 * The night of 09-17: 1.666666666666666667 − 0.003333333333333332 = 1.663333333333333335 → 1.66, carried 0.003333333333333335.
 *
 * Σ posted 15.00 − 4.00 + 1.67 + 1.66 = 14.33; exact on the real history 2 × 3 + 5 × 1.666666666666666667
 * = 14.333333333333333335: 14.33 + the carried 0.003333333333333335, exactly.
 *
 * On 09-18 the rest of the principal is repaid dated 09-17: 09-17 was charged on 20 000.00 and had 0. The night of
 * 09-18 owes no default interest of its own (nothing overdue) but restates 09-17: −1.666666666666666667 +
 * 0.003333333333333335 = −1.663333333333333332 → −1.66, carried −0.003333333333333332. Σ posted 12.67; exact
 * 2 × 3 + 4 × 1.666666666666666667 = 12.666666666666666668 = 12.67 − 0.003333333333333332.
 */
import { D } from '../../domain/money';
import { accrueDate } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, type AccruingLine } from '../accrual/factories';

// Nightly runs and requests: more than the default 30 s on a busy machine.
jest.setTimeout(180_000);

let now = new Date('2026-09-01T08:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let approver: TestUser;
let line: AccruingLine;

const usd = (amount: string) => ({ amount, currency: 'USD' });

/** The nightly run of `date`, the morning after. */
async function night(date: string) {
  now = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000 + 30 * 60_000);
  await accrueDate(api.db.prisma, date, { now });
}

async function chargedDays() {
  const rows = await api.db.sql(
    `SELECT accrual_date::text AS day, charged_on::text AS "chargedOn", trim_scale(default_spread)::text AS spread, overdue_principal::text AS principal,
            exact_interest::text AS exact, carried_in::text AS "carriedIn", restated_interest::text AS restated, restatement_posted::text AS "restatementPosted",
            posted_interest::text AS posted, carried_out::text AS "carriedOut", restatement_entry_id IS NOT NULL AS "restatementEntry"
       FROM default_interest_accrual WHERE credit_line_id = $1 ORDER BY accrual_date`,
    [line.id],
  );
  return rows;
}

async function restatements() {
  return api.db.sql(
    `SELECT restated_date::text AS day, restated_by::text AS "restatedBy", principal_before::text AS before, principal_after::text AS after, interest_difference::text AS difference
       FROM default_interest_restatement WHERE credit_line_id = $1 ORDER BY restated_by, restated_date`,
    [line.id],
  );
}

async function defaultIncomeLines() {
  const statement = await api.get(lender.admin, `/credit-lines/${line.id}/statement?from=2026-09-01&to=2026-09-30`).expect(200);
  type Account = { code: string; lines: { effectiveDate: string; description: string; debit: { amount: string } | null; credit: { amount: string } | null }[] };
  const account = (statement.body.accounts as Account[]).find((a) => a.code === 'DEFAULT_INTEREST_INCOME') as Account;
  return account.lines.map((l) => [l.effectiveDate, l.credit ? l.credit.amount : `-${l.debit?.amount}`, l.description]);
}

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  approver = await lender.addUser('APPROVER');
  line = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-09-01' });
  await draw(api.db.prisma, line, '2026-09-01', '36000.00');
  const terms = { maturityDate: '2026-09-11', delinquency: { gracePeriodDays: 0, defaultInterestSpread: '0.03', defaultAfterDaysPastDue: null } };
  await api.post(lender.admin, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-09-01', terms }).expect(201);
  await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
  await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);
  for (let day = 1; day <= 15; day++) await night(`2026-09-${String(day).padStart(2, '0')}`);
});
afterAll(() => api.close());

test('a repayment dated three days back: the next night posts the exact difference as its own linked entry', async () => {
  expect((await chargedDays()).map((row) => [row.day, row.principal, row.exact, row.posted])).toEqual([
    ['2026-09-11', '36000.00', '3', '3.00'],
    ['2026-09-12', '36000.00', '3', '3.00'],
    ['2026-09-13', '36000.00', '3', '3.00'],
    ['2026-09-14', '36000.00', '3', '3.00'],
    ['2026-09-15', '36000.00', '3', '3.00'],
  ]);

  now = new Date('2026-09-16T10:00:00Z');
  const repaid = await api.post(lender.admin, `/credit-lines/${line.id}/repayments`, { amount: usd('16195.00'), receivedOn: '2026-09-13' }).expect(201);
  expect(repaid.body.allocation).toMatchObject({ fees: usd('0.00'), interest: usd('195.00'), principal: usd('16000.00'), toSeller: usd('0.00') });

  await night('2026-09-16');
  await night('2026-09-17');
  expect(await restatements()).toEqual([
    { day: '2026-09-13', restatedBy: '2026-09-16', before: '36000.00', after: '20000.00', difference: '-1.333333333333333333' },
    { day: '2026-09-14', restatedBy: '2026-09-16', before: '36000.00', after: '20000.00', difference: '-1.333333333333333333' },
    { day: '2026-09-15', restatedBy: '2026-09-16', before: '36000.00', after: '20000.00', difference: '-1.333333333333333333' },
  ]);
  const days = await chargedDays();
  // Rows are history: the restated days keep what they were charged; the restating row carries the difference.
  expect(days.slice(2, 5).map((row) => [row.day, row.principal, row.exact])).toEqual([
    ['2026-09-13', '36000.00', '3'],
    ['2026-09-14', '36000.00', '3'],
    ['2026-09-15', '36000.00', '3'],
  ]);
  expect(days.slice(5)).toEqual([
    {
      day: '2026-09-16', chargedOn: '2026-09-16', spread: '0.03', principal: '20000.00', exact: '1.666666666666666667', carriedIn: '0',
      restated: '-3.999999999999999999', restatementPosted: '-4.00', posted: '1.67', carriedOut: '-0.003333333333333332', restatementEntry: true,
    },
    {
      day: '2026-09-17', chargedOn: '2026-09-17', spread: '0.03', principal: '20000.00', exact: '1.666666666666666667', carriedIn: '-0.003333333333333332',
      restated: '0', restatementPosted: '0', posted: '1.66', carriedOut: '0.003333333333333335', restatementEntry: false,
    },
  ]);

  // In the statement, dated the night that restates, saying which days and why.
  expect(await defaultIncomeLines()).toEqual([
    ...['11', '12', '13', '14', '15'].map((day) => [`2026-09-${day}`, '3.00', expect.stringMatching(/^Default interest on overdue principal/)]),
    ['2026-09-16', '-4.00', expect.stringMatching(/^Default interest restated for 2026-09-13 to 2026-09-15: overdue principal changed after those days were charged \(2026-09-13 36\s000\.00 USD → 20\s000\.00 USD; .*\), −4\.00 USD$/)],
    ['2026-09-16', '1.67', expect.stringMatching(/^Default interest on overdue principal, 2026-09-16/)],
    ['2026-09-17', '1.66', expect.stringMatching(/^Default interest on overdue principal, 2026-09-17/)],
  ]);

  // Σ default interest = the exact default interest on the real overdue principal, the carried remainder apart.
  const exactOnRealHistory = new D('3').times(2).plus(new D('1.666666666666666667').times(5));
  expect(exactOnRealHistory.toFixed()).toBe('14.333333333333333335');
  const delinquency = await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200);
  expect(delinquency.body.defaultInterestPosted).toEqual(usd('14.33'));
  expect(exactOnRealHistory.minus('14.33').toFixed()).toBe(days[6].carriedOut);
});

test('the rest repaid dated into a charged day: a night that owes nothing itself still restates it', async () => {
  now = new Date('2026-09-18T10:00:00Z');
  const balances = await api.get(lender.admin, `/credit-lines/${line.id}/ledger/balances`).expect(200);
  const balance = (code: string) => balances.body.accounts.find((a: { code: string }) => a.code === code).balance.amount as string;
  expect(balance('LOAN_PRINCIPAL')).toBe('20000.00');
  const owed = new D(balance('LOAN_PRINCIPAL')).plus(balance('INTEREST_RECEIVABLE')).toFixed(2);
  await api.post(lender.admin, `/credit-lines/${line.id}/repayments`, { amount: usd(owed), receivedOn: '2026-09-17' }).expect(201);

  await night('2026-09-18');
  expect((await restatements()).slice(3)).toEqual([{ day: '2026-09-17', restatedBy: '2026-09-18', before: '20000.00', after: '0.00', difference: '-1.666666666666666667' }]);
  expect((await chargedDays()).slice(7)).toEqual([
    {
      day: '2026-09-18', chargedOn: '2026-09-18', spread: '0', principal: '0.00', exact: '0', carriedIn: '0.003333333333333335',
      restated: '-1.666666666666666667', restatementPosted: '-1.66', posted: '0.00', carriedOut: '-0.003333333333333332', restatementEntry: true,
    },
  ]);
  expect((await defaultIncomeLines()).slice(8).map(([day, amount]) => [day, amount])).toEqual([['2026-09-18', '-1.66']]);

  const exactOnRealHistory = new D('3').times(2).plus(new D('1.666666666666666667').times(4));
  expect(exactOnRealHistory.toFixed()).toBe('12.666666666666666668');
  const delinquency = await api.get(lender.admin, `/credit-lines/${line.id}/delinquency`).expect(200);
  expect(delinquency.body.defaultInterestPosted).toEqual(usd('12.67'));
  expect(exactOnRealHistory.minus('12.67').toFixed()).toBe('-0.003333333333333332');

  // A later night restates nothing more and charges nothing.
  await night('2026-09-19');
  expect(await chargedDays()).toHaveLength(8);

  // History: a restatement is never changed, and a row's figures must add up.
  await expect(api.db.sql(`UPDATE default_interest_restatement SET interest_difference = 0 WHERE credit_line_id = $1`, [line.id])).rejects.toThrow(/append-only/);
  await expect(
    api.db.sql(
      `INSERT INTO default_interest_accrual (credit_line_id, accrual_date, charged_on, currency, default_spread, day_count, overdue_principal, exact_interest, restated_interest)
       VALUES ($1, '2026-09-20', '2026-09-20', 'USD', 0, 'ACT_360', 0, 0, -1)`,
      [line.id],
    ),
  ).rejects.toThrow(/default_interest_accrual_remainder_carried/);
});
