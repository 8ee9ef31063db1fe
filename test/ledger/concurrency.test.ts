import { createTestDatabase, type TestDatabase } from '../support/db';
import { ConflictError } from '../../domain/errors';
import { postEntry, reverseEntry, statement, type AccountDefinition } from '../../prisma/ledger/store';
import { newAccountSet, newKey, transfer, usd, balanceText } from './support';

// The pool is smaller than the number of postings, so postings queue for
// connections as they would under load, and ~20 run against the database at once.
const POOL_SIZE = 20;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolMax: POOL_SIZE });
});
afterAll(() => db.close());

const balanceOf = (accountId: string): Promise<string> => balanceText(db.prisma, accountId);

test('200 parallel postings onto one hot account lose no update', async () => {
  const counterparties: AccountDefinition[] = Array.from({ length: 20 }, (_, index) => ({
    code: `FUNDER_${index}`, name: `Funder ${index}`, type: 'LIABILITY', normalBalance: 'CREDIT',
  }));
  const { ids } = await newAccountSet(db.prisma, {
    accounts: [{ code: 'HOT', name: 'Hot account', type: 'ASSET', normalBalance: 'DEBIT' }, ...counterparties],
  });
  // Posting i (1..200) moves i.01 USD; the counterparties' ids sort on both
  // sides of HOT's, so lock order differs between postings.
  const postings = Array.from({ length: 200 }, (_, index) => {
    const i = index + 1;
    return postEntry(db.prisma, {
      idempotencyKey: newKey(),
      description: `Posting ${i}`,
      effectiveDate: '2026-03-01',
      lines: transfer(ids.HOT, ids[`FUNDER_${i % 20}`], usd(`${i}.01`)),
    });
  });
  await Promise.all(postings);
  // Σ i for i = 1..200 is 20 100; plus 200 × 0.01 = 2.00.
  expect(await balanceOf(ids.HOT)).toBe('20102.00');
  // FUNDER_0 got i = 20, 40, …, 200: Σ = 20 × (1 + … + 10) = 1 100, plus 10 × 0.01.
  expect(await balanceOf(ids.FUNDER_0)).toBe('1100.10');
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_line WHERE account_id = $1`, [ids.HOT]);
  expect(count).toBe('200');
});

test('parallel withdrawals from an account that must not go negative: exactly as many as fit succeed', async () => {
  const { accountSetId, ids } = await newAccountSet(db.prisma);
  await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Funding', effectiveDate: '2026-03-01', lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('1000.00')) });
  // 40 draws of 70.00 against 1 000.00: 14 fit (980.00), leaving 20.00.
  const results = await Promise.allSettled(
    Array.from({ length: 40 }, (_, index) =>
      postEntry(db.prisma, { idempotencyKey: newKey(), description: `Draw ${index}`, effectiveDate: '2026-03-02', lines: transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('70.00')) }),
    ),
  );
  const refusals = results.filter((result) => result.status === 'rejected');
  expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(14);
  expect(refusals).toHaveLength(26);
  for (const refusal of refusals) expect(refusal.status === 'rejected' && refusal.reason).toMatchObject({ code: 'account_would_go_negative' });
  expect(await balanceOf(ids.COLLECTION)).toBe('20.00');
  expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('980.00');
  // Replayed in recording order, the balance never dipped below zero.
  const { accounts } = await statement(db.prisma, { accountSetId, from: '2026-03-01', to: '2026-03-31' });
  const collection = accounts.find((account) => account.code === 'COLLECTION');
  const runningBalances = collection?.lines.map((l) => l.runningBalance.toFixedString()) ?? [];
  expect(runningBalances).toHaveLength(15);
  expect(runningBalances.every((balance) => !balance.startsWith('-'))).toBe(true);
  expect(runningBalances.at(-1)).toBe('20.00');
});

test('concurrent posts of the same key and content post exactly one entry', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const request = { idempotencyKey: newKey(), description: 'Funding', effectiveDate: '2026-03-01', lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('500.00')) };
  const entries = await Promise.all(Array.from({ length: 12 }, () => postEntry(db.prisma, request)));
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(1);
  expect(entries.filter((entry) => !entry.replayed)).toHaveLength(1);
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_entry WHERE idempotency_key = $1`, [request.idempotencyKey]);
  expect(count).toBe('1');
  expect(await balanceOf(ids.COLLECTION)).toBe('500.00');
});

test('concurrent posts of the same key with different content: one posts, the others conflict', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const idempotencyKey = newKey();
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, (_, index) =>
      postEntry(db.prisma, { idempotencyKey, description: 'Funding', effectiveDate: '2026-03-01', lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd(`${index + 1}00.00`)) }),
    ),
  );
  const posted = results.filter((result) => result.status === 'fulfilled');
  expect(posted).toHaveLength(1);
  for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
  const winner = posted[0].status === 'fulfilled' ? posted[0].value : undefined;
  expect(await balanceOf(ids.COLLECTION)).toBe(winner?.lines[0].amount.toFixedString());
});

test('concurrent reversals of one entry under different keys: exactly one reverses it', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const funding = await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'Funding', effectiveDate: '2026-03-01', lines: transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('300.00')) });
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, () => reverseEntry(db.prisma, { entryId: funding.id, idempotencyKey: newKey(), effectiveDate: '2026-03-02', reason: 'duplicate' })),
  );
  expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'entry_already_reversed' });
  expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
  expect(await balanceOf(ids.LENDER_FUNDING)).toBe('0.00');
});
