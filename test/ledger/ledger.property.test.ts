import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { Money } from '../../domain/money';
import type { LedgerSide, ProposedLine } from '../../domain/ledger';
import { balances, postEntry, reverseEntry, statement, type AccountDefinition, type PostedEntry } from '../../prisma/ledger/store';
import { newAccountSet, newKey } from './support';

// Two currencies of different scale (USD cents, JPY whole yen), three
// accounts in each, with both normal sides.
const CURRENCIES = { USD: 2, JPY: 0 } as const;
type Currency = keyof typeof CURRENCIES;
const ACCOUNTS: AccountDefinition[] = [
  { code: 'CASH', name: 'Cash', type: 'ASSET', normalBalance: 'DEBIT' },
  { code: 'LOAN', name: 'Loan', type: 'ASSET', normalBalance: 'DEBIT' },
  { code: 'FUNDING', name: 'Funding', type: 'LIABILITY', normalBalance: 'CREDIT' },
];
const FIRST_DAY = Date.UTC(2026, 2, 1);
const dayToDate = (day: number) => new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10);

interface Leg {
  currency: Currency;
  debitAccount: number;
  creditAccount: number;
  minorUnits: number;
  /** When between 0 and minorUnits, the credit is split into two lines. */
  creditSplitMinorUnits: number;
}
type Command =
  | { kind: 'post'; day: number; legs: Leg[] }
  | { kind: 'reverse'; pick: number; daysLater: number };

const legArb = (currency: Currency) =>
  fc.record({
    currency: fc.constant(currency),
    debitAccount: fc.nat({ max: 2 }),
    creditAccount: fc.nat({ max: 2 }),
    minorUnits: fc.integer({ min: 1, max: 10_000_000 }),
    creditSplitMinorUnits: fc.integer({ min: 0, max: 10_000_000 }),
  });
const postArb = fc.record({
  kind: fc.constant('post' as const),
  day: fc.nat({ max: 30 }),
  legs: fc.oneof(fc.tuple(legArb('USD')), fc.tuple(legArb('JPY')), fc.tuple(legArb('USD'), legArb('JPY'))),
});
const reverseArb = fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat(), daysLater: fc.nat({ max: 5 }) });
const commandsArb = fc.array(fc.oneof({ arbitrary: postArb, weight: 3 }, { arbitrary: reverseArb, weight: 1 }), { minLength: 1, maxLength: 12 });
const periodArb = fc.tuple(fc.nat({ max: 36 }), fc.nat({ max: 36 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

function legLines(leg: Leg, accountIds: Record<Currency, string[]>): ProposedLine[] {
  const money = (minorUnits: number) => Money.of(new Decimal(minorUnits).dividedBy(10 ** CURRENCIES[leg.currency]), leg.currency);
  const ids = accountIds[leg.currency];
  const debit: ProposedLine = { accountId: ids[leg.debitAccount], side: 'DEBIT', amount: money(leg.minorUnits) };
  if (leg.creditSplitMinorUnits > 0 && leg.creditSplitMinorUnits < leg.minorUnits) {
    return [
      debit,
      { accountId: ids[leg.creditAccount], side: 'CREDIT', amount: money(leg.minorUnits - leg.creditSplitMinorUnits) },
      { accountId: ids[(leg.creditAccount + 1) % 3], side: 'CREDIT', amount: money(leg.creditSplitMinorUnits) },
    ];
  }
  return [debit, { accountId: ids[leg.creditAccount], side: 'CREDIT', amount: money(leg.minorUnits) }];
}

/** The test's own model of what was posted: every line with its effective date. */
interface ModelLine {
  accountId: string;
  side: LedgerSide;
  amount: Decimal;
  effectiveDate: string;
}

async function runCommands(commands: Command[], accountIds: Record<Currency, string[]>): Promise<ModelLine[]> {
  const posted: PostedEntry[] = [];
  const reversed = new Set<string>();
  const model: ModelLine[] = [];
  const record = (entry: PostedEntry) =>
    entry.lines.forEach((l) => model.push({ accountId: l.accountId, side: l.side, amount: l.amount.amount, effectiveDate: entry.effectiveDate }));
  for (const command of commands) {
    if (command.kind === 'post') {
      const lines = command.legs.flatMap((leg) => legLines(leg, accountIds));
      const entry = await postEntry(db.prisma, { idempotencyKey: newKey(), description: 'generated', effectiveDate: dayToDate(command.day), lines });
      posted.push(entry);
      record(entry);
      continue;
    }
    const candidates = posted.filter((entry) => !reversed.has(entry.id) && entry.reversesEntryId === null);
    if (candidates.length === 0) continue;
    const original = candidates[command.pick % candidates.length];
    const effectiveDate = dayToDate((Date.parse(original.effectiveDate) - FIRST_DAY) / 86_400_000 + command.daysLater);
    const reversal = await reverseEntry(db.prisma, { entryId: original.id, idempotencyKey: newKey(), effectiveDate, reason: 'generated' });
    reversed.add(original.id);
    posted.push(reversal);
    record(reversal);
  }
  return model;
}

/** Independent of the store's arithmetic: debit-normal accounts add debits, credit-normal add credits. */
function modelBalance(model: ModelLine[], accountId: string, normalBalance: LedgerSide, asOf?: string): string {
  return model
    .filter((l) => l.accountId === accountId && (asOf === undefined || l.effectiveDate <= asOf))
    .reduce((sum, l) => (l.side === normalBalance ? sum.plus(l.amount) : sum.minus(l.amount)), new Decimal(0))
    .toFixed(2);
}

async function checkCurrenciesNetToZero(accountSetIds: string[]): Promise<void> {
  const rows = await db.sql<{ currency: string; debits_minus_credits: string; signed_balances: string }>(
    `SELECT a.currency,
            (SELECT coalesce(sum(CASE l.side WHEN 'DEBIT' THEN l.amount ELSE -l.amount END), 0)
               FROM journal_line l JOIN ledger_account la ON la.id = l.account_id
              WHERE la.currency = a.currency AND la.account_set_id = ANY($1::uuid[]))::text AS debits_minus_credits,
            sum(CASE a.normal_balance WHEN 'DEBIT' THEN a.balance ELSE -a.balance END)::text AS signed_balances
       FROM ledger_account a WHERE a.account_set_id = ANY($1::uuid[]) GROUP BY a.currency`,
    [accountSetIds],
  );
  for (const row of rows) {
    expect([row.currency, new Decimal(row.debits_minus_credits).isZero(), new Decimal(row.signed_balances).isZero()]).toEqual([row.currency, true, true]);
  }
}

async function checkMaintainedBalanceEqualsSumOfLines(accountSetIds: string[]): Promise<void> {
  const drift = await db.sql<{ code: string }>(
    `SELECT a.code FROM ledger_account a
      WHERE a.account_set_id = ANY($1::uuid[])
        AND a.balance <> (SELECT coalesce(sum(ledger_signed_amount(a.normal_balance, l.side, l.amount)), 0)
                            FROM journal_line l WHERE l.account_id = a.id)`,
    [accountSetIds],
  );
  expect(drift).toEqual([]);
}

test('postings and reversals keep the ledger balanced, statements reconciled and balances equal to their lines', async () => {
  await fc.assert(
    fc.asyncProperty(commandsArb, periodArb, async (commands, [fromDay, toDay]) => {
      const usdSet = await newAccountSet(db.prisma, { currency: 'USD', accounts: ACCOUNTS });
      const jpySet = await newAccountSet(db.prisma, { currency: 'JPY', accounts: ACCOUNTS });
      const accountIds: Record<Currency, string[]> = {
        USD: ACCOUNTS.map((a) => usdSet.ids[a.code]),
        JPY: ACCOUNTS.map((a) => jpySet.ids[a.code]),
      };
      const model = await runCommands(commands, accountIds);
      const setIds = [usdSet.accountSetId, jpySet.accountSetId];

      await checkCurrenciesNetToZero(setIds);
      await checkMaintainedBalanceEqualsSumOfLines(setIds);

      const [from, to] = [dayToDate(fromDay), dayToDate(toDay)];
      const dayBeforeFrom = dayToDate(fromDay - 1);
      for (const set of [usdSet, jpySet]) {
        const now = await balances(db.prisma, { accountSetId: set.accountSetId });
        const atTo = await balances(db.prisma, { accountSetId: set.accountSetId, asOf: to });
        const { accounts } = await statement(db.prisma, { accountSetId: set.accountSetId, from, to });
        for (const account of accounts) {
          const normal = account.normalBalance;
          expect(now.find((b) => b.accountId === account.accountId)?.balance.amount.toFixed(2)).toBe(modelBalance(model, account.accountId, normal));
          expect(atTo.find((b) => b.accountId === account.accountId)?.balance.amount.toFixed(2)).toBe(modelBalance(model, account.accountId, normal, to));
          expect(account.openingBalance.amount.toFixed(2)).toBe(modelBalance(model, account.accountId, normal, dayBeforeFrom));
          const movements = account.lines.reduce((sum, l) => {
            const debitMinusCredit = (l.debit?.amount ?? new Decimal(0)).minus(l.credit?.amount ?? new Decimal(0));
            return sum.plus(normal === 'DEBIT' ? debitMinusCredit : debitMinusCredit.negated());
          }, new Decimal(0));
          expect(account.openingBalance.amount.plus(movements).toFixed(2)).toBe(account.closingBalance.amount.toFixed(2));
          expect(account.closingBalance.amount.toFixed(2)).toBe(modelBalance(model, account.accountId, normal, to));
        }
      }
    }),
    { numRuns: 25 },
  );
});
