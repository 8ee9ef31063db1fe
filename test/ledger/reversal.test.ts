import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { BusinessRuleError, NotFoundError, ValidationError } from '../../domain/errors';
import { balances, findEntry, postEntry, reverseEntry, type PostedEntry } from '../../prisma/ledger/store';
import { newAccountSet, newKey, transfer, usd, type AccountIds } from './support';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

async function balancesByCode(accountSetId: string, asOf?: string): Promise<Record<string, string>> {
  const rows = await balances(db.prisma, { accountSetId, asOf });
  return Object.fromEntries(rows.map((row) => [row.code, row.balance.toFixedString()]));
}

/** Funding of 10 000.00 on 2026-01-05, then a 4 000.00 draw on 2026-01-10 (the entry to reverse). */
async function drawnLine(): Promise<{ accountSetId: string; ids: AccountIds; draw: PostedEntry }> {
  const { accountSetId, ids } = await newAccountSet(db.prisma);
  await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Funding', effectiveDate: '2026-01-05', accountSetId, lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('10000.00')) });
  const draw = await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Draw disbursed', effectiveDate: '2026-01-10', accountSetId, lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('4000.00')) });
  return { accountSetId, ids, draw };
}

test('a reversal restores the balances and is linked to the entry it reverses', async () => {
  const { accountSetId, ids, draw } = await drawnLine();
  expect(await balancesByCode(accountSetId)).toMatchObject({ COLLECTION: '6000.00', LOAN_PRINCIPAL: '4000.00' });

  const reversal = await reverseEntry(db.prisma, { entryId: draw.id, idempotencyKey: newKey(), effectiveDate: '2026-01-12', reason: 'disbursed twice' });

  expect(reversal.reversesEntryId).toBe(draw.id);
  expect(reversal.accountSetId).toBe(accountSetId);
  expect(reversal.description).toBe(`Reversal of entry ${draw.id}: disbursed twice`);
  expect(reversal.lines.map((l) => [l.accountId, l.side, l.amount.toFixedString()])).toEqual([
    [ids.LOAN_PRINCIPAL, 'CREDIT', '4000.00'],
    [ids.COLLECTION, 'DEBIT', '4000.00'],
  ]);
  expect(await balancesByCode(accountSetId)).toMatchObject({ COLLECTION: '10000.00', LOAN_PRINCIPAL: '0.00', LENDER_FUNDING: '10000.00' });
  // Before the reversal took effect, the draw still shows.
  expect(await balancesByCode(accountSetId, '2026-01-11')).toMatchObject({ COLLECTION: '6000.00', LOAN_PRINCIPAL: '4000.00' });
  const [stored] = await db.sql<{ reverses_entry_id: string }>(`SELECT reverses_entry_id::text FROM journal_entry WHERE id = $1`, [reversal.id]);
  expect(stored.reverses_entry_id).toBe(draw.id);
  expect((await findEntry(db.prisma, draw.id))?.lines).toHaveLength(2);
});

test('an entry is reversed at most once', async () => {
  const { accountSetId, draw } = await drawnLine();
  const reversalKey = newKey();
  const first = await reverseEntry(db.prisma, { entryId: draw.id, idempotencyKey: reversalKey, effectiveDate: '2026-01-12', reason: 'error' });

  const replay = await reverseEntry(db.prisma, { entryId: draw.id, idempotencyKey: reversalKey, effectiveDate: '2026-01-12', reason: 'error' });
  expect(replay).toMatchObject({ id: first.id, replayed: true });

  const second = reverseEntry(db.prisma, { entryId: draw.id, idempotencyKey: newKey(), effectiveDate: '2026-01-13', reason: 'error again' });
  await expect(second).rejects.toBeInstanceOf(BusinessRuleError);
  await expect(second).rejects.toMatchObject({ code: 'entry_already_reversed' });
  await expect(second).rejects.toThrow(`already reversed by entry ${first.id}`);

  expect(await balancesByCode(accountSetId)).toMatchObject({ COLLECTION: '10000.00', LOAN_PRINCIPAL: '0.00' });
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_entry WHERE reverses_entry_id = $1`, [draw.id]);
  expect(count).toBe('1');
});

test('a reversal cannot take effect before the entry it reverses', async () => {
  const { draw } = await drawnLine();
  const early = reverseEntry(db.prisma, { entryId: draw.id, idempotencyKey: newKey(), effectiveDate: '2026-01-09', reason: 'error' });
  await expect(early).rejects.toBeInstanceOf(ValidationError);
  await expect(early).rejects.toMatchObject({ field: 'effectiveDate' });
});

test('reversing an entry that does not exist is not found', async () => {
  const missing = randomUUID();
  await expect(reverseEntry(db.prisma, { entryId: missing, idempotencyKey: newKey(), effectiveDate: '2026-01-12', reason: 'x' })).rejects.toBeInstanceOf(NotFoundError);
});

test('a reversal that would overdraw an account that must not go negative is refused', async () => {
  const { accountSetId, ids } = await newAccountSet(db.prisma);
  const funding = await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Funding', effectiveDate: '2026-01-05', lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('100.00')) });
  await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Draw', effectiveDate: '2026-01-06', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('80.00')) });
  // Undoing the funding would take COLLECTION from 20.00 to −80.00.
  const reversal = reverseEntry(db.prisma, { entryId: funding.id, idempotencyKey: newKey(), effectiveDate: '2026-01-07', reason: 'wrong line' });
  await expect(reversal).rejects.toThrow('balance 20.00 USD, posting would take it to -80.00 USD');
  expect(await balancesByCode(accountSetId)).toMatchObject({ COLLECTION: '20.00', LENDER_FUNDING: '100.00' });
});
