import { randomUUID } from 'node:crypto';
import type { Db } from '../../prisma/client';
import { Money } from '../../domain/money';
import type { LedgerSide, ProposedLine } from '../../domain/ledger';
import { balances, createAccountSet, type AccountDefinition } from '../../prisma/ledger/store';

/** A credit line's accounts, as the tests use them: each test makes its own set. */
export const LINE_ACCOUNTS: AccountDefinition[] = [
  { code: 'COLLECTION', name: 'Collection account', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
  { code: 'LOAN_PRINCIPAL', name: 'Loan principal', type: 'ASSET', normalBalance: 'DEBIT' },
  { code: 'INTEREST_RECEIVABLE', name: 'Interest receivable', type: 'ASSET', normalBalance: 'DEBIT' },
  { code: 'LENDER_FUNDING', name: 'Lender funding', type: 'LIABILITY', normalBalance: 'CREDIT' },
  { code: 'INTEREST_INCOME', name: 'Interest income', type: 'INCOME', normalBalance: 'CREDIT' },
];

export type AccountIds = Record<string, string>;

export async function newAccountSet(
  db: Db,
  options: { currency?: string; accounts?: AccountDefinition[] } = {},
): Promise<{ accountSetId: string; ids: AccountIds }> {
  const accountSetId = randomUUID();
  const accounts = await createAccountSet(db, {
    accountSetId,
    currency: options.currency ?? 'USD',
    accounts: options.accounts ?? LINE_ACCOUNTS,
  });
  return { accountSetId, ids: Object.fromEntries(accounts.map((account) => [account.code, account.id])) };
}

export const usd = (amount: string): Money => Money.of(amount, 'USD');

export function line(accountId: string, side: LedgerSide, amount: Money): ProposedLine {
  return { accountId, side, amount };
}

/** The two lines that move `amount` from `creditAccountId` to `debitAccountId`. */
export function transfer(debitAccountId: string, creditAccountId: string, amount: Money): ProposedLine[] {
  return [line(debitAccountId, 'DEBIT', amount), line(creditAccountId, 'CREDIT', amount)];
}

export const newKey = (): string => `test-${randomUUID()}`;

/** An account's balance as a fixed-scale string. */
export async function balanceText(db: Db, accountId: string): Promise<string> {
  const [row] = await balances(db, { accountIds: [accountId] });
  return row.balance.toFixedString();
}
