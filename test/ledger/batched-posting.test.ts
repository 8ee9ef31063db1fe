import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createPrismaClient, inTransaction, type PrismaClient } from '../../prisma/client';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { Money } from '../../domain/money';
import {
  balances,
  configurePostingBatches,
  postEntry,
  postingBatchStatistics,
  postingPayloadOf,
  type AccountDefinition,
  type PostEntryInput,
  type PostingBatchStatistics,
} from '../../prisma/ledger/store';
import { newAccountSet, newKey, transfer, usd, balanceText } from './support';

// Concurrent postEntry() calls on the root client share post_journal_entries()
// statements (and commits); these tests check that each caller still gets
// exactly what it would have got posting alone.

const POOL_SIZE = 12;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolMax: POOL_SIZE });
  // One batch at a time, so that postings made together share one statement.
  configurePostingBatches(db.prisma, { batchesInFlightMax: 1, batchSizeMax: 64 });
});
afterAll(() => db.close());

const balanceOf = (accountId: string): Promise<string> => balanceText(db.prisma, accountId);

/** What the batcher sent between `before` and now. */
function sentSince(prisma: PrismaClient, before: PostingBatchStatistics): { statements: number; postings: number; retriedAlone: number; bySize: Record<number, number> } {
  const after = postingBatchStatistics(prisma);
  const bySize: Record<number, number> = {};
  for (const [size, count] of Object.entries(after.statementsByBatchSize)) {
    const delta = count - (before.statementsByBatchSize[Number(size)] ?? 0);
    if (delta > 0) bySize[Number(size)] = delta;
  }
  return {
    statements: after.statements - before.statements,
    postings: after.postings - before.postings,
    retriedAlone: after.batchesRetriedAlone - before.batchesRetriedAlone,
    bySize,
  };
}

const posting = (description: string, lines: PostEntryInput['lines'], idempotencyKey = newKey()): PostEntryInput => ({
  idempotencyKey,
  description,
  effectiveDate: '2026-03-01',
  lines,
});

test('postings made together on the root client leave in one statement, and every one is posted', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const before = postingBatchStatistics(db.prisma);
  // Posting i (1..40) moves i.25 USD from lender funding to the collection account.
  const entries = await Promise.all(
    Array.from({ length: 40 }, (_, index) => postEntry(db.prisma, posting(`Funding ${index + 1}`, transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd(`${index + 1}.25`))))),
  );
  // Nothing was in flight, so all 40 (made in one turn of the event loop) went together.
  expect(sentSince(db.prisma, before)).toEqual({ statements: 1, postings: 40, retriedAlone: 0, bySize: { 40: 1 } });
  expect(entries.every((entry) => !entry.replayed)).toBe(true);
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(40);
  // Each caller got its own entry, and they were recorded in the order they were made.
  const stored = await db.sql<{ id: string; description: string; seq: string }>(
    `SELECT e.id::text, e.description, e.seq::text FROM journal_entry e WHERE e.id = ANY($1::uuid[]) ORDER BY e.seq`,
    [entries.map((entry) => entry.id)],
  );
  expect(stored.map((row) => row.description)).toEqual(Array.from({ length: 40 }, (_, index) => `Funding ${index + 1}`));
  expect(stored.map((row) => row.id)).toEqual(entries.map((entry) => entry.id));
  expect(stored.map((row) => BigInt(row.seq))).toEqual(entries.map((entry) => entry.seq));
  expect(entries[6].lines.map((l) => [l.accountId, l.side, l.amount.toFixedString()])).toEqual([
    [ids.COLLECTION, 'DEBIT', '7.25'],
    [ids.LENDER_FUNDING, 'CREDIT', '7.25'],
  ]);
  // Σ i for i = 1..40 is 820, plus 40 × 0.25 = 10.00.
  expect(await balanceOf(ids.COLLECTION)).toBe('830.00');
  expect(await balanceOf(ids.LENDER_FUNDING)).toBe('830.00');
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_line WHERE account_id = $1`, [ids.COLLECTION]);
  expect(count).toBe('40');
});

test('postings made together are spread evenly over the batches allowed in flight, none larger than the limit', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const spreading = createPrismaClient(db.url, { poolMax: POOL_SIZE });
  try {
    configurePostingBatches(spreading, { batchesInFlightMax: 4, batchSizeMax: 64 });
    const together = await Promise.all(
      Array.from({ length: 40 }, (_, index) => postEntry(spreading, posting(`Together ${index}`, transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('1.00'))))),
    );
    expect(postingBatchStatistics(spreading).statementsByBatchSize).toEqual({ 10: 4 });
    configurePostingBatches(spreading, { batchesInFlightMax: 2, batchSizeMax: 7 });
    const before = postingBatchStatistics(spreading);
    const limited = await Promise.all(
      Array.from({ length: 40 }, (_, index) => postEntry(spreading, posting(`Limited ${index}`, transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('1.00'))))),
    );
    const sent = sentSince(spreading, before);
    expect(sent.postings).toBe(40);
    expect(Math.max(...Object.keys(sent.bySize).map(Number))).toBe(7);
    expect(new Set([...together, ...limited].map((entry) => entry.id)).size).toBe(80);
    expect(await balanceOf(ids.COLLECTION)).toBe('80.00');
  } finally {
    await spreading.$disconnect();
  }
});

test('a key repeated within one batch posts once: the same content replays the first, other content is a conflict', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const key = newKey();
  const first = posting('Funding', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('100.00')), key);
  const other = posting('Other funding', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('5.00')));
  const before = postingBatchStatistics(db.prisma);
  const [posted, replayed, unrelated, conflicting] = await Promise.allSettled([
    postEntry(db.prisma, first),
    postEntry(db.prisma, { ...first, lines: [...first.lines] }),
    postEntry(db.prisma, other),
    postEntry(db.prisma, { ...first, description: 'Funding, amended' }),
  ]);
  expect(sentSince(db.prisma, before)).toEqual({ statements: 1, postings: 4, retriedAlone: 0, bySize: { 4: 1 } });
  if (posted.status !== 'fulfilled' || replayed.status !== 'fulfilled' || unrelated.status !== 'fulfilled') throw new Error('three postings succeed');
  expect(posted.value.replayed).toBe(false);
  expect(replayed.value.replayed).toBe(true);
  expect(replayed.value.id).toBe(posted.value.id);
  expect(replayed.value.seq).toBe(posted.value.seq);
  expect(replayed.value.lines.map((l) => l.amount.toFixedString())).toEqual(['100.00', '100.00']);
  expect(unrelated.value.replayed).toBe(false);
  expect(conflicting.status === 'rejected' && conflicting.reason).toBeInstanceOf(ConflictError);
  expect(await balanceOf(ids.COLLECTION)).toBe('105.00');
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_entry WHERE idempotency_key = $1`, [key]);
  expect(count).toBe('1');
});

test('refused proposals in the middle of a batch leave the others posted, in order', async () => {
  const { ids } = await newAccountSet(db.prisma);
  await postEntry(db.prisma, posting('Funding', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('100.00'))));
  const unknownAccountId = randomUUID();
  const before = postingBatchStatistics(db.prisma);
  const results = await Promise.allSettled([
    postEntry(db.prisma, posting('Draw 60', transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('60.00')))),
    // 40.00 left: refused, writes nothing.
    postEntry(db.prisma, posting('Draw 60 again', transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('60.00')))),
    postEntry(db.prisma, posting('Unknown account', transfer(unknownAccountId, ids.COLLECTION, usd('1.00')))),
    postEntry(db.prisma, posting('Wrong currency', [
      { accountId: ids.LOAN_PRINCIPAL, side: 'DEBIT', amount: Money.of('1.00', 'EUR') },
      { accountId: ids.LENDER_FUNDING, side: 'CREDIT', amount: Money.of('1.00', 'EUR') },
    ])),
    // Exactly what is left.
    postEntry(db.prisma, posting('Draw 40', transfer(ids.LOAN_PRINCIPAL, ids.COLLECTION, usd('40.00')))),
  ]);
  expect(sentSince(db.prisma, before)).toEqual({ statements: 1, postings: 5, retriedAlone: 0, bySize: { 5: 1 } });
  expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
  const reasons = results.map((result) => (result.status === 'rejected' ? result.reason : null));
  expect(reasons[1]).toMatchObject({ code: 'account_would_go_negative' });
  expect((reasons[1] as Error).message).toContain('balance 40.00 USD, posting would take it to -20.00 USD');
  expect(reasons[2]).toBeInstanceOf(NotFoundError);
  expect((reasons[2] as Error).message).toContain(unknownAccountId);
  expect(reasons[3]).toBeInstanceOf(ValidationError);
  expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
  expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('100.00');
  const [{ count }] = await db.sql<{ count: string }>(`SELECT count(*) FROM journal_line WHERE account_id = $1`, [ids.LOAN_PRINCIPAL]);
  expect(count).toBe('2');
});

test('a batch that fails as a whole is posted proposal by proposal, each caller getting its own outcome', async () => {
  // NUMERIC(38, 18) holds 20 integer digits: a second 9e19 posting onto the
  // same account overflows the balance column, an error (not a refusal) that
  // aborts the batch's statement.
  const { ids } = await newAccountSet(db.prisma);
  const huge = usd('90000000000000000000.00');
  const before = postingBatchStatistics(db.prisma);
  const results = await Promise.allSettled([
    postEntry(db.prisma, posting('Small 1', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('1.00')))),
    postEntry(db.prisma, posting('Huge 1', transfer(ids.LOAN_PRINCIPAL, ids.INTEREST_INCOME, huge))),
    postEntry(db.prisma, posting('Huge 2', transfer(ids.LOAN_PRINCIPAL, ids.INTEREST_INCOME, huge))),
    postEntry(db.prisma, posting('Small 2', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('2.00')))),
  ]);
  const sent = sentSince(db.prisma, before);
  expect(sent).toMatchObject({ statements: 1, postings: 4, retriedAlone: 1 });
  expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(String(results[2].status === 'rejected' && (results[2].reason as Error).message)).toMatch(/numeric field overflow/);
  expect(await balanceOf(ids.COLLECTION)).toBe('3.00');
  expect(await balanceOf(ids.LOAN_PRINCIPAL)).toBe('90000000000000000000.00');
});

test('a posting inside a transaction runs on the transaction, not through the batcher', async () => {
  const { ids } = await newAccountSet(db.prisma);
  const before = postingBatchStatistics(db.prisma);
  await expect(
    inTransaction(db.prisma, async (tx) => {
      await postEntry(tx, posting('Inside', transfer(ids.COLLECTION, ids.LENDER_FUNDING, usd('10.00'))));
      // Seen by the transaction before it commits...
      expect((await balances(tx, { accountIds: [ids.COLLECTION] }))[0].balance.toFixedString()).toBe('10.00');
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  // ...and gone with it.
  expect(await balanceOf(ids.COLLECTION)).toBe('0.00');
  expect(sentSince(db.prisma, before).statements).toBe(0);
});

describe('hot account under concurrent batches from two clients', () => {
  let second: PrismaClient;
  beforeAll(() => {
    second = createPrismaClient(db.url, { poolMax: POOL_SIZE });
    configurePostingBatches(second, { batchesInFlightMax: 3, batchSizeMax: 7 });
  });
  afterAll(() => second.$disconnect());

  function hotAccounts() {
    const counterparties: AccountDefinition[] = Array.from({ length: 20 }, (_, index) => ({
      code: `FUNDER_${index}`, name: `Funder ${index}`, type: 'LIABILITY', normalBalance: 'CREDIT',
    }));
    return newAccountSet(db.prisma, {
      accounts: [{ code: 'HOT', name: 'Hot account', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true }, ...counterparties],
    });
  }

  test('300 deposits lose no update', async () => {
    const { ids } = await hotAccounts();
    const before = [postingBatchStatistics(db.prisma), postingBatchStatistics(second)] as const;
    // Deposit i (1..300) moves i.01 USD; alternately from each client, and in
    // waves so that batches of several sizes overlap. Counterparties' ids sort
    // on both sides of HOT's.
    const deposits: Promise<unknown>[] = [];
    for (let wave = 0; wave < 6; wave += 1) {
      for (let i = wave * 50 + 1; i <= wave * 50 + 50; i += 1) {
        deposits.push(postEntry(i % 2 === 0 ? db.prisma : second, posting(`Deposit ${i}`, transfer(ids.HOT, ids[`FUNDER_${i % 20}`], usd(`${i}.01`)))));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(deposits);
    const sent = [sentSince(db.prisma, before[0]), sentSince(second, before[1])];
    expect(sent[0].postings + sent[1].postings).toBe(300);
    expect(sent[0].statements + sent[1].statements).toBeLessThan(300);
    // Each batch locks all its accounts in id order first, so no two batches
    // deadlock (a deadlock would abort a batch and show here as a retry).
    expect(sent[0].retriedAlone + sent[1].retriedAlone).toBe(0);
    expect(Math.max(...Object.keys(sent[1].bySize).map(Number))).toBeLessThanOrEqual(7);
    // Σ i for i = 1..300 is 45 150; plus 300 × 0.01 = 3.00.
    expect(await balanceOf(ids.HOT)).toBe('45153.00');
    // FUNDER_0 got i = 20, 40, …, 300: Σ = 20 × (1 + … + 15) = 2 400, plus 15 × 0.01.
    expect(await balanceOf(ids.FUNDER_0)).toBe('2400.15');
  });

  test('batches naming the same accounts in opposite orders do not deadlock', async () => {
    const { ids } = await hotAccounts();
    // One batch at a time on each client, so that each client's two postings of a round share one.
    configurePostingBatches(second, { batchesInFlightMax: 1, batchSizeMax: 7 });
    const before = [postingBatchStatistics(db.prisma), postingBatchStatistics(second)] as const;
    // Each round, one client's batch posts to FUNDER_0 then FUNDER_1 while the
    // other's posts to FUNDER_1 then FUNDER_0: locking entry by entry, each
    // batch would hold what the other's second entry needs.
    for (let round = 0; round < 30; round += 1) {
      const lines = (debited: string, credited: string) => transfer(ids[debited], ids[credited], usd('1.00'));
      await Promise.all([
        postEntry(db.prisma, posting(`Round ${round} a`, lines('FUNDER_0', 'FUNDER_2'))),
        postEntry(db.prisma, posting(`Round ${round} b`, lines('FUNDER_1', 'FUNDER_3'))),
        postEntry(second, posting(`Round ${round} c`, lines('FUNDER_1', 'FUNDER_4'))),
        postEntry(second, posting(`Round ${round} d`, lines('FUNDER_0', 'FUNDER_5'))),
      ]);
    }
    const sent = [sentSince(db.prisma, before[0]), sentSince(second, before[1])];
    expect(sent.map((s) => s.bySize)).toEqual([{ 2: 30 }, { 2: 30 }]);
    expect(sent[0].retriedAlone + sent[1].retriedAlone).toBe(0);
    // FUNDER_0 and FUNDER_1 (credit-normal) were debited 60 × 1.00 each.
    expect(await balanceOf(ids.FUNDER_0)).toBe('-60.00');
    expect(await balanceOf(ids.FUNDER_1)).toBe('-60.00');
    expect(await balanceOf(ids.FUNDER_5)).toBe('30.00');
  });

  test('withdrawals from an account that must not go negative: exactly as many as fit succeed', async () => {
    const { ids } = await hotAccounts();
    await postEntry(db.prisma, posting('Funding', transfer(ids.HOT, ids.FUNDER_0, usd('1000.00'))));
    // 60 withdrawals of 70.00 against 1 000.00: 14 fit (980.00), leaving 20.00.
    // Made in waves of 10, alternately from each client, so that later ones
    // queue behind batches already in flight.
    const withdrawals: Promise<unknown>[] = [];
    for (let index = 0; index < 60; index += 1) {
      withdrawals.push(postEntry(index % 2 === 0 ? db.prisma : second, posting(`Withdrawal ${index}`, transfer(ids[`FUNDER_${index % 20}`], ids.HOT, usd('70.00')))));
      if (index % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.allSettled(withdrawals);
    const refusals = results.filter((result) => result.status === 'rejected');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(14);
    expect(refusals).toHaveLength(46);
    for (const refusal of refusals) expect(refusal.status === 'rejected' && refusal.reason).toMatchObject({ code: 'account_would_go_negative' });
    expect(await balanceOf(ids.HOT)).toBe('20.00');
    const [{ negative }] = await db.sql<{ negative: string }>(
      `SELECT count(*) AS negative FROM (
         SELECT sum(CASE l.side WHEN 'DEBIT' THEN l.amount ELSE -l.amount END) OVER (ORDER BY e.seq) AS running
           FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id WHERE l.account_id = $1) AS r
        WHERE running < 0`,
      [ids.HOT],
    );
    expect(negative).toBe('0');
  });
});

// ─── post_journal_entries() answers what posting one by one answers ──────────

// Two accounts that must not go negative, one that may; an unknown account;
// lines in a currency the accounts are not in.
const PROPERTY_ACCOUNTS: AccountDefinition[] = [
  { code: 'CASH', name: 'Cash', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'RESERVE', name: 'Reserve', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'FUNDING', name: 'Funding', type: 'LIABILITY', normalBalance: 'CREDIT' },
];
const UNKNOWN = 3;

type Command =
  | { kind: 'post'; debit: number; credit: number; minorUnits: number; euro: boolean }
  | { kind: 'repeat'; pick: number }
  | { kind: 'reuseKey'; pick: number; minorUnits: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('post' as const), debit: fc.nat({ max: 3 }), credit: fc.nat({ max: 3 }), minorUnits: fc.integer({ min: 1, max: 50_000 }), euro: fc.integer({ min: 0, max: 9 }).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuseKey' as const), pick: fc.nat(), minorUnits: fc.integer({ min: 1, max: 50_000 }) }) },
);

/** The commands as postings on one account set; keys are `prefix` + the command's position. */
function inputsOf(commands: Command[], accountIds: string[], unknownAccountId: string, prefix: string): PostEntryInput[] {
  const inputs: PostEntryInput[] = [];
  const accountAt = (index: number) => (index === UNKNOWN ? unknownAccountId : accountIds[index]);
  for (const [position, command] of commands.entries()) {
    const earlier = inputs.length > 0 ? inputs[(command.kind === 'post' ? 0 : command.pick) % inputs.length] : undefined;
    if (command.kind === 'repeat' && earlier) {
      inputs.push(earlier);
    } else if (command.kind === 'reuseKey' && earlier) {
      inputs.push({ ...earlier, description: `Reused key, ${command.minorUnits}`, lines: transfer(accountAt(0), accountAt(2), usd(new Decimal(command.minorUnits).dividedBy(100).toFixed(2))) });
    } else {
      const { debit, credit, minorUnits, euro } = command.kind === 'post' ? command : { debit: 0, credit: 2, minorUnits: 100, euro: false };
      const amount = Money.of(new Decimal(minorUnits).dividedBy(100), euro ? 'EUR' : 'USD');
      inputs.push({
        idempotencyKey: `${prefix}-${position}`,
        description: `Transfer ${position}`,
        effectiveDate: '2026-03-01',
        lines: [
          { accountId: accountAt(debit), side: 'DEBIT', amount },
          { accountId: accountAt(credit === debit ? (credit + 1) % 4 : credit), side: 'CREDIT', amount },
        ],
      });
    }
  }
  return inputs;
}

/** An outcome with everything that differs between two account sets (ids, keys, sequence numbers) replaced. */
function comparable(outcome: Record<string, unknown>, codeOf: Map<string, string>, prefix: string): unknown {
  const code = (id: unknown) => codeOf.get(String(id)) ?? 'unknown';
  switch (outcome.status) {
    case 'posted':
      return { status: 'posted' };
    case 'replayed': {
      const entry = outcome.entry as { idempotency_key: string; description: string; lines: { account_id: string; side: string; amount: string }[] };
      return {
        status: 'replayed',
        key: entry.idempotency_key.replace(prefix, ''),
        description: entry.description,
        lines: entry.lines.map((l) => [code(l.account_id), l.side, l.amount]),
      };
    }
    case 'key_reused':
      return { status: 'key_reused', description: outcome.description };
    default:
      return { ...outcome, account_id: code(outcome.account_id) };
  }
}

test('post_journal_entries() answers, proposal by proposal, what post_journal_entry() answers posting them one after another', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 14 }), async (commands) => {
      const unknownAccountId = randomUUID();
      const run = async (batched: boolean) => {
        const { ids } = await newAccountSet(db.prisma, { accounts: PROPERTY_ACCOUNTS });
        const accountIds = PROPERTY_ACCOUNTS.map((account) => ids[account.code]);
        const prefix = `prop-${randomUUID()}`;
        const payloads = inputsOf(commands, accountIds, unknownAccountId, prefix).map(postingPayloadOf);
        let outcomes: Record<string, unknown>[];
        if (batched) {
          const [row] = await db.sql<{ outcomes: string }>('SELECT post_journal_entries($1::jsonb)::text AS outcomes', [JSON.stringify(payloads)]);
          outcomes = JSON.parse(row.outcomes) as Record<string, unknown>[];
        } else {
          outcomes = [];
          for (const payload of payloads) {
            const [row] = await db.sql<{ outcome: string }>('SELECT post_journal_entry($1::jsonb)::text AS outcome', [JSON.stringify(payload)]);
            outcomes.push(JSON.parse(row.outcome) as Record<string, unknown>);
          }
        }
        const codeOf = new Map(PROPERTY_ACCOUNTS.map((account) => [ids[account.code], account.code]));
        const finalBalances = await balances(db.prisma, { accountIds });
        return {
          outcomes: outcomes.map((outcome) => comparable(outcome, codeOf, prefix)),
          balances: finalBalances.map((balance) => [balance.code, balance.balance.toFixedString()]),
        };
      };
      const batched = await run(true);
      const oneByOne = await run(false);
      expect(batched.outcomes).toHaveLength(commands.length);
      expect(batched).toEqual(oneByOne);
      // The accounts that must not go negative never did.
      for (const [code, balance] of batched.balances) {
        if (code !== 'FUNDING') expect(balance.startsWith('-')).toBe(false);
      }
    }),
    { numRuns: 30 },
  );
});

test('post_journal_entries() takes an array', async () => {
  await expect(db.sql(`SELECT post_journal_entries('{}'::jsonb)`)).rejects.toThrow(/takes a JSON array of proposals; got object/);
  const [row] = await db.sql<{ outcomes: string }>(`SELECT post_journal_entries('[]'::jsonb)::text AS outcomes`);
  expect(row.outcomes).toBe('[]');
});
