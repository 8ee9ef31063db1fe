import { ok } from '../../client';
import { Money } from '../../domain/money';
import { postEntry } from '../../prisma/ledger/store';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let lineId: string;
const entryIds: Record<string, string> = {};

/**
 * One line's November, figures by hand (12 % a year, ACT/360):
 *   02 Nov  draw 10 000.00                          Dr LOAN_PRINCIPAL        / Cr LENDER_FUNDING
 *   10 Nov  interest 10 000.00 × 0.12 × 8/360 = 26.666… → 26.67
 *                                                    Dr INTEREST_RECEIVABLE   / Cr INTEREST_INCOME
 *   15 Nov  draw 5 000.00                           Dr LOAN_PRINCIPAL        / Cr LENDER_FUNDING
 *   20 Nov  buyer pays 8 000.00: interest 26.67, principal 7 973.33
 *                                                    Dr COLLECTION / Cr INTEREST_RECEIVABLE, LOAN_PRINCIPAL
 *   01 Dec  interest 7 026.67 × 0.12 × 11/360 = 25.764… → 25.76
 */
beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.counterpart(lender, 'SELLER');
  const opened = await api.post(lender.admin, '/credit-lines', {
    sellerOrganisationId: seller.organisationId,
    terms: {
      currency: 'USD',
      limit: { amount: '100000.00', currency: 'USD' },
      defaultAdvanceRate: '0.5',
      haircut: '0.1',
      annualInterestRate: '0.12',
      dayCount: 'ACT_360',
      feeSchedule: { onSale: { kind: 'PERCENT_OF_PROCEEDS', percent: '1' }, perDraw: null },
      maxMarkAgeHours: 24,
      marginCallLtv: '0.6',
      liquidationLtv: '0.75',
      targetLtv: '0.4',
      curePeriodHours: 48,
      stockCountIntervalDays: 14,
      maturityDate: '2027-11-30',
      approvalThresholds: { autoApproveUpTo: { amount: '1000.00', currency: 'USD' }, singleApproverUpTo: { amount: '20000.00', currency: 'USD' } },
      approvalWindowHours: 12,
    },
  });
  expect(opened.status).toBe(201);
  lineId = opened.body.id;
  await api.post(seller.admin, `/credit-lines/${lineId}/accept`).expect(200);
  await post('draw-1', '2026-11-02', [['LOAN_PRINCIPAL', '10000.00']], [['LENDER_FUNDING', '10000.00']]);
  await post('interest-nov-10', '2026-11-10', [['INTEREST_RECEIVABLE', '26.67']], [['INTEREST_INCOME', '26.67']]);
  await post('draw-2', '2026-11-15', [['LOAN_PRINCIPAL', '5000.00']], [['LENDER_FUNDING', '5000.00']]);
  await post('payment', '2026-11-20', [['COLLECTION', '8000.00']], [['INTEREST_RECEIVABLE', '26.67'], ['LOAN_PRINCIPAL', '7973.33']]);
  await post('interest-dec-01', '2026-12-01', [['INTEREST_RECEIVABLE', '25.76']], [['INTEREST_INCOME', '25.76']]);
});
afterAll(() => api.close());

async function post(key: string, effectiveDate: string, debit: [string, string][], credit: [string, string][]): Promise<void> {
  const accounts = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: lineId } });
  const idOf = (code: string) => accounts.find((account) => account.code === code)!.id;
  const line = (side: 'DEBIT' | 'CREDIT') => ([code, amount]: [string, string]) => ({ accountId: idOf(code), side, amount: Money.of(amount, 'USD') });
  const entry = await postEntry(api.db.prisma, {
    idempotencyKey: `${lineId}:${key}`,
    description: key,
    effectiveDate,
    accountSetId: lineId,
    lines: [...debit.map(line('DEBIT')), ...credit.map(line('CREDIT'))],
  });
  entryIds[key] = entry.id;
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

function byCode<T extends { code: string }>(accounts: T[]): Record<string, T> {
  return Object.fromEntries(accounts.map((account) => [account.code, account]));
}

function balancesByCode(body: { accounts: { code: string; balance: { amount: string } }[] }): Record<string, string> {
  return Object.fromEntries(body.accounts.map((account) => [account.code, account.balance.amount]));
}

describe('line balances', () => {
  test('now: every account of the line, in normal-balance terms', async () => {
    const balances = await ok(api.client(seller.admin).GET('/credit-lines/{lineId}/ledger/balances', { params: { path: { lineId } } }));
    expect(balances.asOf).toBeNull();
    expect(balancesByCode(balances)).toEqual({
      LOAN_PRINCIPAL: '7026.67',
      INTEREST_RECEIVABLE: '25.76',
      FEES_RECEIVABLE: '0.00',
      COLLECTION: '8000.00',
      LENDER_FUNDING: '15000.00',
      SELLER_PAYABLE: '0.00',
      INTEREST_INCOME: '52.43',
      FEE_INCOME: '0.00',
    });
  });

  test('as of a date: only entries effective on or before it', async () => {
    const res = await api.get(lender.admin, `/credit-lines/${lineId}/ledger/balances?asOf=2026-11-12`);
    expect(res.status).toBe(200);
    expect(res.body.asOf).toBe('2026-11-12');
    expect(balancesByCode(res.body)).toMatchObject({
      LOAN_PRINCIPAL: '10000.00',
      INTEREST_RECEIVABLE: '26.67',
      COLLECTION: '0.00',
      LENDER_FUNDING: '10000.00',
      INTEREST_INCOME: '26.67',
    });
  });

  test('the line shows as outstanding exactly what the ledger holds', async () => {
    const line = await api.get(lender.admin, `/credit-lines/${lineId}`).expect(200);
    expect(line.body.outstanding).toEqual({ principal: usd('7026.67'), interestReceivable: usd('25.76'), feesReceivable: usd('0.00') });
  });

  test('an impossible asOf date is refused naming query.asOf', async () => {
    const refused = await api.client(lender.admin).GET('/credit-lines/{lineId}/ledger/balances', { params: { path: { lineId }, query: { asOf: '2026-02-30' } } });
    expect(refused.response.status).toBe(400);
    expect(refused.error?.errors?.map((e) => e.path)).toEqual(['query.asOf']);
  });
});

describe('line statement', () => {
  test('10–30 Nov: opening, every line with its running balance, closing, per account', async () => {
    const res = await api.get(seller.admin, `/credit-lines/${lineId}/statement?from=2026-11-10&to=2026-11-30`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lineId, from: '2026-11-10', to: '2026-11-30', nextCursor: null });
    const accounts = byCode(res.body.accounts as { code: string; openingBalance: unknown; closingBalance: unknown; lines: Record<string, unknown>[] }[]);
    expect(Object.keys(accounts).sort()).toEqual(
      ['COLLECTION', 'FEES_RECEIVABLE', 'FEE_INCOME', 'INTEREST_INCOME', 'INTEREST_RECEIVABLE', 'LENDER_FUNDING', 'LOAN_PRINCIPAL', 'SELLER_PAYABLE'].sort(),
    );

    // 10 000.00 + 5 000.00 − 7 973.33 = 7 026.67
    expect(accounts.LOAN_PRINCIPAL.openingBalance).toEqual(usd('10000.00'));
    expect(accounts.LOAN_PRINCIPAL.lines).toMatchObject([
      { entryId: entryIds['draw-2'], effectiveDate: '2026-11-15', description: 'draw-2', side: 'DEBIT', debit: usd('5000.00'), credit: null, runningBalance: usd('15000.00') },
      { entryId: entryIds.payment, effectiveDate: '2026-11-20', description: 'payment', side: 'CREDIT', debit: null, credit: usd('7973.33'), runningBalance: usd('7026.67') },
    ]);
    expect(accounts.LOAN_PRINCIPAL.closingBalance).toEqual(usd('7026.67'));

    // 0.00 + 26.67 − 26.67 = 0.00; the 1 Dec accrual is after the period.
    expect(accounts.INTEREST_RECEIVABLE.openingBalance).toEqual(usd('0.00'));
    expect(accounts.INTEREST_RECEIVABLE.lines).toMatchObject([
      { entryId: entryIds['interest-nov-10'], debit: usd('26.67'), runningBalance: usd('26.67') },
      { entryId: entryIds.payment, credit: usd('26.67'), runningBalance: usd('0.00') },
    ]);
    expect(accounts.INTEREST_RECEIVABLE.closingBalance).toEqual(usd('0.00'));

    expect(accounts.LENDER_FUNDING).toMatchObject({ openingBalance: usd('10000.00'), closingBalance: usd('15000.00') });
    expect(accounts.LENDER_FUNDING.lines).toHaveLength(1);
    expect(accounts.COLLECTION).toMatchObject({ openingBalance: usd('0.00'), closingBalance: usd('8000.00') });
    expect(accounts.INTEREST_INCOME).toMatchObject({ openingBalance: usd('0.00'), closingBalance: usd('26.67') });
    for (const quiet of ['FEES_RECEIVABLE', 'FEE_INCOME', 'SELLER_PAYABLE']) {
      expect(accounts[quiet]).toMatchObject({ openingBalance: usd('0.00'), lines: [], closingBalance: usd('0.00') });
    }
  });

  test('closing balances of debit-normal and credit-normal accounts are equal (15 026.67 each side)', async () => {
    const res = await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-01&to=2026-11-30`).expect(200);
    const sideTotal = (normalBalance: string) =>
      (res.body.accounts as { normalBalance: string; closingBalance: { amount: string } }[])
        .filter((account) => account.normalBalance === normalBalance)
        .reduce((total, account) => total.plus(Money.of(account.closingBalance.amount, 'USD')), Money.zero('USD'))
        .toFixedString();
    // Debit: 7 026.67 + 8 000.00 + 0.00 = 15 026.67; credit: 15 000.00 + 26.67 = 15 026.67.
    expect(sideTotal('DEBIT')).toBe('15026.67');
    expect(sideTotal('CREDIT')).toBe('15026.67');
  });

  test('a period that ends before it starts, or without dates, is refused with the query field named', async () => {
    const backwards = await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-30&to=2026-11-01`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([{ path: 'query.to', reason: 'must be on or after from' }]);
    const missing = await api.get(lender.admin, `/credit-lines/${lineId}/statement`);
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.from', 'query.to']);
  });
});

describe('line statement, paged', () => {
  type Page = { accounts: { code: string; openingBalance: { amount: string }; closingBalance: { amount: string }; lines: { entryId: string; lineNo: number }[] }[]; nextCursor: string | null };

  async function allPages(limit: number): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `from=2026-11-01&to=2026-11-30&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.get(lender.admin, `/credit-lines/${lineId}/statement?${query}`).expect(200);
      pages.push(res.body as Page);
      cursor = (res.body as Page).nextCursor;
    } while (cursor !== null && pages.length < 10);
    return pages;
  }

  test('pages of 4 lines over 1–30 Nov (9 lines): 4, 4, 1; each page opens where the last closed; together they are the whole statement', async () => {
    const pages = await allPages(4);
    const lineCount = (page: Page) => page.accounts.reduce((total, account) => total + account.lines.length, 0);
    expect(pages.map(lineCount)).toEqual([4, 4, 1]);
    expect(pages.map((page) => page.nextCursor === null)).toEqual([false, false, true]);

    const principal = pages.map((page) => byCode(page.accounts).LOAN_PRINCIPAL);
    // Page 1 holds the 2 Nov draw (Dr LOAN_PRINCIPAL 10 000.00) and the 10 Nov accrual; the period opens at 0.00 and closes at 7 026.67.
    expect(principal[0].openingBalance).toEqual(usd('0.00'));
    expect(principal[0].closingBalance).toEqual(usd('10000.00'));
    expect(principal[1].openingBalance).toEqual(usd('10000.00'));
    expect(principal[2].closingBalance).toEqual(usd('7026.67'));
    for (let index = 1; index < pages.length; index += 1) {
      for (const account of pages[index].accounts) {
        const before = pages[index - 1].accounts.find((candidate) => candidate.code === account.code)!;
        expect({ code: account.code, opening: account.openingBalance }).toEqual({ code: account.code, opening: before.closingBalance });
      }
    }

    const whole = (await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-01&to=2026-11-30`).expect(200)).body as Page;
    expect(whole.nextCursor).toBeNull();
    for (const account of whole.accounts) {
      const paged = pages.flatMap((page) => page.accounts.find((candidate) => candidate.code === account.code)!.lines);
      expect(paged).toEqual(account.lines);
      expect(pages[0].accounts.find((candidate) => candidate.code === account.code)!.openingBalance).toEqual(account.openingBalance);
      expect(pages[2].accounts.find((candidate) => candidate.code === account.code)!.closingBalance).toEqual(account.closingBalance);
    }
  });

  test('a page is bounded (limit 1..1000, default 200) and a cursor must come from this endpoint for this period', async () => {
    const tooMany = await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-01&to=2026-11-30&limit=1001`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.limit']);

    const forged = await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-01&to=2026-11-30&cursor=not-a-cursor`);
    expect(forged.status).toBe(400);
    expect(forged.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.cursor']);

    const [first] = await allPages(4);
    const otherPeriod = await api.get(lender.admin, `/credit-lines/${lineId}/statement?from=2026-11-25&to=2026-11-30&cursor=${first.nextCursor}`);
    expect(otherPeriod.status).toBe(400);
    expect(otherPeriod.body.errors).toEqual([{ path: 'query.cursor', reason: 'is not a cursor issued by this endpoint for this period; pass nextCursor from the previous page with the same from and to' }]);
  });
});

describe('only the line’s parties read its ledger', () => {
  test('a foreign lender, seller or warehouse gets 404 for balances and statement', async () => {
    for (const kind of ['LENDER', 'SELLER', 'WAREHOUSE'] as const) {
      const outsider = await api.organisation(kind);
      for (const path of [`/credit-lines/${lineId}/ledger/balances`, `/credit-lines/${lineId}/ledger/balances?asOf=2026-11-12`, `/credit-lines/${lineId}/statement?from=2026-11-01&to=2026-11-30`]) {
        const res = await api.get(outsider.admin, path);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('not_found');
        expect(JSON.stringify(res.body)).not.toContain('7026.67');
      }
    }
  });
});
