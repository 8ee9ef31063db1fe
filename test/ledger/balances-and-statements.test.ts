import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { balances, createAccountSet, postEntry, statement, type AccountStatement } from '../../prisma/ledger/store';
import { LINE_ACCOUNTS, line, newAccountSet, newKey, transfer, usd, type AccountIds } from './support';

let db: TestDatabase;
let accountSetId: string;
let ids: AccountIds;

/**
 * A credit line's first weeks (posted out of date order on purpose: the
 * January interest accrual is recorded after the February repayment):
 *   2026-01-05  funding            DR COLLECTION 10000.00 / CR LENDER_FUNDING 10000.00
 *   2026-01-10  draw               DR LOAN_PRINCIPAL 4000.00 / CR COLLECTION 4000.00
 *   2026-02-03  repayment          DR COLLECTION 1500.00 / CR LOAN_PRINCIPAL 1487.66 / CR INTEREST_RECEIVABLE 12.34
 *   2026-01-31  January interest   DR INTEREST_RECEIVABLE 12.34 / CR INTEREST_INCOME 12.34
 *   2026-02-20  second draw        DR LOAN_PRINCIPAL 250.50 / CR COLLECTION 250.50
 */
beforeAll(async () => {
  db = await createTestDatabase();
  ({ accountSetId, ids } = await newAccountSet(db.prisma));
  const post = (effectiveDate: string, description: string, lines: ReturnType<typeof transfer>) =>
    postEntry(db.prisma, { idempotencyKey: newKey(), description, effectiveDate, accountSetId, lines });
  await post('2026-01-05', 'Funding', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('10000.00')));
  await post('2026-01-10', 'Draw', transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('4000.00')));
  await post('2026-02-03', 'Repayment', [
    line(ids.COLLECTION, 'DEBIT', usd('1500.00')),
    line(ids.LOAN_PRINCIPAL, 'CREDIT', usd('1487.66')),
    line(ids.INTEREST_RECEIVABLE, 'CREDIT', usd('12.34')),
  ]);
  await post('2026-01-31', 'January interest', transfer(ids.INTEREST_RECEIVABLE, ids.INTEREST_INCOME, usd('12.34')));
  await post('2026-02-20', 'Second draw', transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('250.50')));
});
afterAll(() => db.close());

async function balancesByCode(asOf?: string): Promise<Record<string, string>> {
  const rows = await balances(db.prisma, { accountSetId, asOf });
  return Object.fromEntries(rows.map((row) => [row.code, row.balance.toFixedString()]));
}

describe('balances', () => {
  test('now are the maintained balances', async () => {
    // COLLECTION 10000 − 4000 + 1500 − 250.50; LOAN 4000 − 1487.66 + 250.50; receivable 12.34 − 12.34.
    expect(await balancesByCode()).toEqual({
      COLLECTION: '7249.50',
      LOAN_PRINCIPAL: '2762.84',
      INTEREST_RECEIVABLE: '0.00',
      LENDER_FUNDING: '10000.00',
      INTEREST_INCOME: '12.34',
    });
  });

  test('as of a past date count only lines effective on or before it', async () => {
    expect(await balancesByCode('2026-01-04')).toEqual({
      COLLECTION: '0.00', LOAN_PRINCIPAL: '0.00', INTEREST_RECEIVABLE: '0.00', LENDER_FUNDING: '0.00', INTEREST_INCOME: '0.00',
    });
    expect(await balancesByCode('2026-01-09')).toMatchObject({ COLLECTION: '10000.00', LOAN_PRINCIPAL: '0.00', LENDER_FUNDING: '10000.00' });
    expect(await balancesByCode('2026-01-31')).toEqual({
      COLLECTION: '6000.00', LOAN_PRINCIPAL: '4000.00', INTEREST_RECEIVABLE: '12.34', LENDER_FUNDING: '10000.00', INTEREST_INCOME: '12.34',
    });
    expect(await balancesByCode('2026-02-19')).toMatchObject({ COLLECTION: '7500.00', LOAN_PRINCIPAL: '2512.34', INTEREST_RECEIVABLE: '0.00' });
    expect(await balancesByCode('2099-12-31')).toEqual(await balancesByCode());
  });

  test('can be asked for named accounts, and an unknown one is not found', async () => {
    const rows = await balances(db.prisma, { accountIds: [ids.LOAN_PRINCIPAL], asOf: '2026-01-10' });
    expect(rows.map((row) => [row.accountId, row.balance.format()])).toEqual([[ids.LOAN_PRINCIPAL, '4 000.00 USD']]);
    await expect(balances(db.prisma, { accountIds: [ids.LOAN_PRINCIPAL, randomUUID()] })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('a statement', () => {
  let accounts: Record<string, AccountStatement>;
  beforeAll(async () => {
    const result = await statement(db.prisma, { accountSetId, from: '2026-01-15', to: '2026-02-10' });
    accounts = Object.fromEntries(result.accounts.map((account) => [account.code, account]));
  });

  const rows = (code: string) =>
    accounts[code].lines.map((l) => [l.effectiveDate, l.description, l.debit?.toFixedString() ?? null, l.credit?.toFixedString() ?? null, l.runningBalance.toFixedString()]);

  test('shows opening balance, each line in effective-date order with its running balance, and closing balance', () => {
    expect(accounts.COLLECTION.openingBalance.toFixedString()).toBe('6000.00');
    expect(rows('COLLECTION')).toEqual([['2026-02-03', 'Repayment', '1500.00', null, '7500.00']]);
    expect(accounts.COLLECTION.closingBalance.toFixedString()).toBe('7500.00');

    expect(accounts.LOAN_PRINCIPAL.openingBalance.toFixedString()).toBe('4000.00');
    expect(rows('LOAN_PRINCIPAL')).toEqual([['2026-02-03', 'Repayment', null, '1487.66', '2512.34']]);
    expect(accounts.LOAN_PRINCIPAL.closingBalance.toFixedString()).toBe('2512.34');

    // Recorded after the repayment, but effective before it: shown first.
    expect(accounts.INTEREST_RECEIVABLE.openingBalance.toFixedString()).toBe('0.00');
    expect(rows('INTEREST_RECEIVABLE')).toEqual([
      ['2026-01-31', 'January interest', '12.34', null, '12.34'],
      ['2026-02-03', 'Repayment', null, '12.34', '0.00'],
    ]);
    expect(accounts.INTEREST_RECEIVABLE.closingBalance.toFixedString()).toBe('0.00');

    // A credit-normal account grows with credits.
    expect(rows('INTEREST_INCOME')).toEqual([['2026-01-31', 'January interest', null, '12.34', '12.34']]);
    expect(accounts.INTEREST_INCOME.closingBalance.toFixedString()).toBe('12.34');

    expect(accounts.LENDER_FUNDING.openingBalance.toFixedString()).toBe('10000.00');
    expect(accounts.LENDER_FUNDING.lines).toEqual([]);
    expect(accounts.LENDER_FUNDING.closingBalance.toFixedString()).toBe('10000.00');
  });

  test('closing balances equal the balances as of its last day', async () => {
    const asOfTo = await balancesByCode('2026-02-10');
    for (const account of Object.values(accounts)) {
      expect(account.closingBalance.toFixedString()).toBe(asOfTo[account.code]);
    }
  });

  test('refuses a period that ends before it starts, and an unknown account set', async () => {
    await expect(statement(db.prisma, { accountSetId, from: '2026-02-10', to: '2026-01-15' })).rejects.toBeInstanceOf(ValidationError);
    await expect(statement(db.prisma, { accountSetId: randomUUID(), from: '2026-01-01', to: '2026-01-31' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('an account set', () => {
  test('is created once: asking again returns the same accounts', async () => {
    const setId = randomUUID();
    const first = await createAccountSet(db.prisma, { accountSetId: setId, currency: 'USD', accounts: LINE_ACCOUNTS });
    const again = await createAccountSet(db.prisma, { accountSetId: setId, currency: 'USD', accounts: LINE_ACCOUNTS });
    expect(again.map((a) => a.id)).toEqual(first.map((a) => a.id));
    expect(first.map((a) => [a.code, a.currency, a.normalBalance, a.mustNotGoNegative])).toEqual([
      ['COLLECTION', 'USD', 'DEBIT', true],
      ['LOAN_PRINCIPAL', 'USD', 'DEBIT', false],
      ['INTEREST_RECEIVABLE', 'USD', 'DEBIT', false],
      ['LENDER_FUNDING', 'USD', 'CREDIT', false],
      ['INTEREST_INCOME', 'USD', 'CREDIT', false],
    ]);
    const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM ledger_account WHERE account_set_id = $1`, [setId]);
    expect(count).toBe('5');
  });

  test('refuses an account that exists with another definition', async () => {
    const setId = randomUUID();
    await createAccountSet(db.prisma, { accountSetId: setId, currency: 'USD', accounts: LINE_ACCOUNTS });
    const redefined = LINE_ACCOUNTS.map((a) => (a.code === 'COLLECTION' ? { ...a, mustNotGoNegative: false } : a));
    await expect(createAccountSet(db.prisma, { accountSetId: setId, currency: 'USD', accounts: redefined })).rejects.toBeInstanceOf(ConflictError);
    await expect(createAccountSet(db.prisma, { accountSetId: setId, currency: 'EUR', accounts: LINE_ACCOUNTS })).rejects.toBeInstanceOf(ConflictError);
  });

  test('refuses a code listed twice', async () => {
    await expect(
      createAccountSet(db.prisma, { accountSetId: randomUUID(), currency: 'USD', accounts: [LINE_ACCOUNTS[0], LINE_ACCOUNTS[0]] }),
    ).rejects.toMatchObject({ field: 'accounts[1].code' });
  });
});
