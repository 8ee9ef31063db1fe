import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { inTransaction } from '../../prisma/client';
import { Money } from '../../domain/money';
import { BusinessRuleError, ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { balances, postEntry } from '../../prisma/ledger/store';
import { line, newAccountSet, newKey, transfer, usd, type AccountIds } from './support';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

async function balanceOf(accountId: string): Promise<string> {
  const [row] = await balances(db.prisma, { accountIds: [accountId] });
  return row.balance.toFixedString();
}

async function entryCount(idempotencyKey: string): Promise<number> {
  const rows = await db.sql<{ count: string }>('SELECT count(*) FROM journal_entry WHERE idempotency_key = $1', [idempotencyKey]);
  return Number(rows[0].count);
}

async function fundedSet(fundingAmount: string): Promise<AccountIds> {
  const { ids } = await newAccountSet(db.prisma);
  await postEntry(db.prisma, {
    idempotencyKey: newKey(),
    description: 'Lender funds the collection account',
    effectiveDate: '2026-01-05',
    lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd(fundingAmount)),
  });
  return ids;
}

describe('a balanced entry', () => {
  test('moves each account by its lines in normal-balance terms', async () => {
    const ids = await fundedSet('10000.00');
    const entry = await postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: 'Draw disbursed',
      effectiveDate: '2026-01-10',
      metadata: { drawId: 'd-1' },
      lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('4000.00')),
    });
    expect(entry.replayed).toBe(false);
    expect(entry.lines.map((l) => [l.lineNo, l.side, l.amount.toFixedString()])).toEqual([
      [1, 'DEBIT', '4000.00'],
      [2, 'CREDIT', '4000.00'],
    ]);
    // COLLECTION (debit-normal): 10000.00 − 4000.00; LOAN_PRINCIPAL (debit-normal): +4000.00;
    // LENDER_FUNDING (credit-normal): +10000.00 from the funding entry.
    expect(await balanceOf(ids.COLLECTION)).toBe('6000.00');
    expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('4000.00');
    expect(await balanceOf(ids.LENDER_FUNDING)).toBe('10000.00');
    const [stored] = await db.sql<{ effective_date: string; metadata: unknown }>(
      `SELECT effective_date::text, metadata FROM journal_entry WHERE id = $1`,
      [entry.id],
    );
    expect(stored).toEqual({ effective_date: '2026-01-10', metadata: { drawId: 'd-1' } });
  });

  test('may carry lines in two currencies when each currency balances', async () => {
    const { ids: usdIds } = await newAccountSet(db.prisma);
    const { ids: eurIds } = await newAccountSet(db.prisma, { currency: 'EUR' });
    await postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: 'Two-currency funding',
      effectiveDate: '2026-01-05',
      lines: [
        ...transfer(usdIds.COLLECTION, usdIds.LENDER_FUNDING, usd('100.00')),
        ...transfer(eurIds.COLLECTION, eurIds.LENDER_FUNDING, Money.of('92.50', 'EUR')),
      ],
    });
    expect(await balanceOf(usdIds.COLLECTION)).toBe('100.00');
    expect(await balanceOf(eurIds.LENDER_FUNDING)).toBe('92.50');
  });
});

describe('a proposed entry is refused before anything is written', () => {
  let ids: AccountIds;
  beforeAll(async () => {
    ids = await fundedSet('500.00');
  });

  async function refusal(lines: ReturnType<typeof transfer>): Promise<unknown> {
    const idempotencyKey = newKey();
    const error = await postEntry(db.prisma, { idempotencyKey, description: 'x', effectiveDate: '2026-01-10', lines }).catch((e: unknown) => e);
    expect(await entryCount(idempotencyKey)).toBe(0);
    expect(await balanceOf(ids.COLLECTION)).toBe('500.00');
    return error;
  }

  test('when debits do not equal credits', async () => {
    const error = await refusal([line(ids.LOAN_PRINCIPAL, 'DEBIT', usd('100.00')), line(ids.COLLECTION, 'CREDIT', usd('99.99'))]);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'lines' });
    expect((error as Error).message).toContain('debits 100.00 USD do not equal credits 99.99 USD');
  });

  test('when a currency does not balance even though the totals do', async () => {
    const { ids: eurIds } = await newAccountSet(db.prisma, { currency: 'EUR' });
    const error = await refusal([
      line(ids.LOAN_PRINCIPAL, 'DEBIT', usd('10.00')),
      line(eurIds.COLLECTION, 'CREDIT', Money.of('10.00', 'EUR')),
    ]);
    expect((error as Error).message).toContain('debits 10.00 USD do not equal credits 0.00 USD');
  });

  test('when it has a single line', async () => {
    const error = await refusal([line(ids.LOAN_PRINCIPAL, 'DEBIT', usd('100.00'))]);
    expect(error).toMatchObject({ field: 'lines', reason: 'has 1 line(s); a journal entry needs at least 2' });
  });

  test('when an amount has more decimals than its currency', async () => {
    const error = await refusal(transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('10.005')));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'lines[0].amount' });
    expect((error as Error).message).toContain('has 3 decimal places (10.005 USD)');
  });

  test('when a yen amount has any decimals', async () => {
    const { ids: jpyIds } = await newAccountSet(db.prisma, { currency: 'JPY' });
    const error = await postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: 'x',
      effectiveDate: '2026-01-10',
      lines: transfer(jpyIds.LOAN_PRINCIPAL, jpyIds.LENDER_FUNDING, Money.of('1500.5', 'JPY')),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'lines[0].amount' });
  });

  test('when an amount is zero or negative', async () => {
    expect(await refusal(transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('0.00')))).toMatchObject({ field: 'lines[0].amount' });
    expect(await refusal(transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('-5.00')))).toMatchObject({ field: 'lines[0].amount' });
  });

  test('when a line is in another currency than its account', async () => {
    const error = await refusal([
      line(ids.LOAN_PRINCIPAL, 'DEBIT', Money.of('10.00', 'EUR')),
      line(ids.COLLECTION, 'CREDIT', Money.of('10.00', 'EUR')),
    ]);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'lines[0].amount' });
    expect((error as Error).message).toContain('is in EUR but ledger account LOAN_PRINCIPAL');
  });

  test('when an account does not exist', async () => {
    const missing = randomUUID();
    const error = await refusal(transfer(missing, ids.COLLECTION, usd('1.00')));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ entity: 'ledger account', id: missing });
  });

  test('when the effective date is not a calendar date', async () => {
    const error = await postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: 'x',
      effectiveDate: '2026-02-30',
      lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('1.00')),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'effectiveDate' });
  });
});

describe('an account that must not go negative', () => {
  test('refuses an overdraft with the figures, and is left unchanged', async () => {
    const ids = await fundedSet('100.00');
    const idempotencyKey = newKey();
    const error = await postEntry(db.prisma, {
      idempotencyKey,
      description: 'Draw larger than the collection balance',
      effectiveDate: '2026-01-10',
      lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('120.00')),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusinessRuleError);
    expect(error).toMatchObject({ code: 'account_would_go_negative' });
    expect((error as Error).message).toBe(
      `ledger account COLLECTION (${ids.COLLECTION}) must not go negative: balance 100.00 USD, posting would take it to -20.00 USD`,
    );
    expect(await balanceOf(ids.COLLECTION)).toBe('100.00');
    expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('0.00');
    expect(await entryCount(idempotencyKey)).toBe(0);
  });

  test('may be taken exactly to zero', async () => {
    const ids = await fundedSet('100.00');
    await postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: 'Draw of the whole balance',
      effectiveDate: '2026-01-10',
      lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('100.00')),
    });
    expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
  });

  test('a refusal inside a transaction leaves it usable', async () => {
    const ids = await fundedSet('100.00');
    await inTransaction(db.prisma, async (tx) => {
      await postEntry(tx, { idempotencyKey: newKey(), description: 'first', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('60.00')) });
      await expect(
        postEntry(tx, { idempotencyKey: newKey(), description: 'too much', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('50.00')) }),
      ).rejects.toMatchObject({ code: 'account_would_go_negative' });
      await postEntry(tx, { idempotencyKey: newKey(), description: 'fits', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('40.00')) });
    });
    expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
    expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('100.00');
  });
});

describe('the idempotency key', () => {
  test('with the same content returns the entry already posted and posts nothing', async () => {
    const ids = await fundedSet('1000.00');
    const idempotencyKey = newKey();
    const request = {
      idempotencyKey,
      description: 'Draw disbursed',
      effectiveDate: '2026-01-10',
      metadata: { drawId: 'd-7', approvers: ['a', 'b'] },
      lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('250.00')),
    };
    const first = await postEntry(db.prisma, request);
    // The same content written differently: lines in another order, "250" for "250.00", metadata keys reordered.
    const again = await postEntry(db.prisma, {
      ...request,
      metadata: { approvers: ['a', 'b'], drawId: 'd-7' },
      lines: [line(ids.COLLECTION, 'CREDIT', usd('250')), line(ids.LOAN_PRINCIPAL, 'DEBIT', usd('250'))],
    });
    expect(again.replayed).toBe(true);
    expect(again.id).toBe(first.id);
    expect(again.seq).toBe(first.seq);
    expect(again.contentHash).toBe(first.contentHash);
    expect(again.lines.map((l) => [l.accountId, l.side, l.amount.toFixedString()])).toEqual([
      [ids.LOAN_PRINCIPAL, 'DEBIT', '250.00'],
      [ids.COLLECTION, 'CREDIT', '250.00'],
    ]);
    expect(await entryCount(idempotencyKey)).toBe(1);
    expect(await balanceOf(ids.COLLECTION)).toBe('750.00');
    expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('250.00');
  });

  test('replays even when posting the same lines again would now overdraw', async () => {
    const ids = await fundedSet('100.00');
    const request = { idempotencyKey: newKey(), description: 'All of it', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('100.00')) };
    const first = await postEntry(db.prisma, request);
    const again = await postEntry(db.prisma, request);
    expect(again).toMatchObject({ id: first.id, replayed: true });
    expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
  });

  test('with different content is a conflict and posts nothing', async () => {
    const ids = await fundedSet('1000.00');
    const idempotencyKey = newKey();
    const first = await postEntry(db.prisma, { idempotencyKey, description: 'Draw disbursed', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('250.00')) });
    const differentAmount = postEntry(db.prisma, { idempotencyKey, description: 'Draw disbursed', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('260.00')) });
    await expect(differentAmount).rejects.toBeInstanceOf(ConflictError);
    await expect(differentAmount).rejects.toThrow(`was already used for entry ${first.id}`);
    const differentDate = postEntry(db.prisma, { idempotencyKey, description: 'Draw disbursed', effectiveDate: '2026-01-11', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('250.00')) });
    await expect(differentDate).rejects.toBeInstanceOf(ConflictError);
    expect(await entryCount(idempotencyKey)).toBe(1);
    expect(await balanceOf(ids.COLLECTION)).toBe('750.00');
  });
});

describe('the database itself', () => {
  let ids: AccountIds;
  let entryId: string;
  beforeAll(async () => {
    ids = await fundedSet('100.00');
    const entry = await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Draw', effectiveDate: '2026-01-10', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('30.00')) });
    entryId = entry.id;
  });

  test('refuses to change or delete posted entries and lines', async () => {
    await expect(db.sql(`UPDATE journal_entry SET description = 'edited' WHERE id = $1`, [entryId])).rejects.toThrow(/UPDATE on journal_entry is forbidden/);
    await expect(db.sql(`DELETE FROM journal_entry WHERE id = $1`, [entryId])).rejects.toThrow(/DELETE on journal_entry is forbidden/);
    await expect(db.sql(`UPDATE journal_line SET amount = 1 WHERE entry_id = $1`, [entryId])).rejects.toThrow(/UPDATE on journal_line is forbidden/);
    await expect(db.sql(`DELETE FROM journal_line WHERE entry_id = $1`, [entryId])).rejects.toThrow(/DELETE on journal_line is forbidden/);
    await expect(db.sql(`TRUNCATE journal_line`)).rejects.toThrow(/TRUNCATE on journal_line is forbidden/);
    const lines = await db.sql<{ amount: string }>(`SELECT amount::text FROM journal_line WHERE entry_id = $1 ORDER BY line_no`, [entryId]);
    expect(lines.map((l) => l.amount)).toEqual(['30.000000000000000000', '30.000000000000000000']);
  });

  test('refuses a balance changed other than by posting, and an account redefined', async () => {
    await expect(db.sql(`UPDATE ledger_account SET balance = balance + 1 WHERE id = $1`, [ids.COLLECTION])).rejects.toThrow(/only through post_journal_entry/);
    await expect(db.sql(`UPDATE ledger_account SET currency = 'EUR' WHERE id = $1`, [ids.COLLECTION])).rejects.toThrow(/cannot be redefined/);
    await expect(db.sql(`DELETE FROM ledger_account WHERE id = $1`, [ids.COLLECTION])).rejects.toThrow(/DELETE on ledger_account is forbidden/);
    await db.sql(`UPDATE ledger_account SET name = 'Collection account (renamed)' WHERE id = $1`, [ids.COLLECTION]);
    expect(await balanceOf(ids.COLLECTION)).toBe('70.00');
  });

  test('refuses a negative balance on an account that must not go negative (CHECK)', async () => {
    // Even a write that passes the posting guard is stopped by the CHECK constraint.
    await expect(
      db.sql(`BEGIN; SELECT set_config('godown.ledger_posting', 'on', true); UPDATE ledger_account SET balance = -0.01 WHERE id = '${ids.COLLECTION}'; COMMIT;`),
    ).rejects.toThrow(/ledger_account_balance_not_negative/);
    await db.sql('ROLLBACK');
    expect(await balanceOf(ids.COLLECTION)).toBe('70.00');
  });

  test('refuses unbalanced, single-line and line-less entries written directly', async () => {
    const insertEntry = (key: string) =>
      `INSERT INTO journal_entry (id, idempotency_key, content_hash, description, effective_date) VALUES (gen_random_uuid(), '${key}', 'h', 'raw', '2026-01-10') RETURNING id`;
    const insertLine = (side: string, accountId: string, amount: string) =>
      `INSERT INTO journal_line (id, entry_id, line_no, account_id, side, amount, currency)
       SELECT gen_random_uuid(), entry.id, ${side === 'DEBIT' ? 1 : 2}, '${accountId}', '${side}', ${amount}, 'USD' FROM entry`;
    await expect(
      db.sql(`WITH entry AS (${insertEntry(newKey())}), d AS (${insertLine('DEBIT', ids.LOAN_PRINCIPAL, '10')}), c AS (${insertLine('CREDIT', ids.COLLECTION, '9')}) SELECT 1`),
    ).rejects.toThrow(/is not a balanced double entry: USD debits 10\.0+ <> credits 9\.0+/);
    await expect(db.sql(`WITH entry AS (${insertEntry(newKey())}), d AS (${insertLine('DEBIT', ids.LOAN_PRINCIPAL, '10')}) SELECT 1`)).rejects.toThrow(/is not a balanced double entry/);
    await expect(db.sql(insertEntry(newKey()))).rejects.toThrow(/has 0 line\(s\); a journal entry needs at least 2/);
  });

  test('refuses a line whose amount is not positive or whose currency is not its account’s', async () => {
    const lineSql = (amount: string, currency: string) =>
      `WITH entry AS (INSERT INTO journal_entry (id, idempotency_key, content_hash, description, effective_date) VALUES (gen_random_uuid(), '${newKey()}', 'h', 'raw', '2026-01-10') RETURNING id)
       INSERT INTO journal_line (id, entry_id, line_no, account_id, side, amount, currency)
       SELECT gen_random_uuid(), entry.id, n, CASE n WHEN 1 THEN '${ids.LOAN_PRINCIPAL}'::uuid ELSE '${ids.COLLECTION}'::uuid END,
              CASE n WHEN 1 THEN 'DEBIT' ELSE 'CREDIT' END::"LedgerSide", ${amount}, '${currency}'
         FROM entry, generate_series(1, 2) AS n`;
    await expect(db.sql(lineSql('-5', 'USD'))).rejects.toThrow(/journal_line_amount_positive/);
    await expect(db.sql(lineSql('5', 'EUR'))).rejects.toThrow(/journal_line_account_id_currency_fkey/);
  });
});
