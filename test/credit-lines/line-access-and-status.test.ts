import { offerAndAccept } from '../draws/factories';
import { Money } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { postEntry } from '../../prisma/ledger/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let lenderApprover: TestUser;
let lenderViewer: TestUser;
let sellerViewer: TestUser;
let foreignLender: TestOrganisation;
let foreignSeller: TestOrganisation;
let warehouse: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.counterpart(lender, 'SELLER');
  lenderApprover = await lender.addUser('APPROVER');
  lenderViewer = await lender.addUser('VIEWER');
  sellerViewer = await seller.addUser('VIEWER');
  foreignLender = await api.organisation('LENDER');
  foreignSeller = await api.counterpart(foreignLender, 'SELLER');
  warehouse = await api.counterpart(lender, 'WAREHOUSE');
});
afterAll(() => api.close());

function terms() {
  return {
    currency: 'USD',
    limit: { amount: '250000.00', currency: 'USD' },
    defaultAdvanceRate: '0.5',
    haircut: '0.1',
    annualInterestRate: '0.12',
    dayCount: 'ACT_360',
    feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: { amount: '0.02', currency: 'USD', unit: 'kg' } }, perDraw: null },
    maxMarkAgeHours: 48,
    marginCallLtv: '0.6',
    liquidationLtv: '0.75',
    targetLtv: '0.4',
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2027-06-30',
    approvalThresholds: { autoApproveUpTo: { amount: '5000.00', currency: 'USD' }, singleApproverUpTo: { amount: '50000.00', currency: 'USD' } },
    approvalWindowHours: 24,
  };
}

/** An ACTIVE line: offered by the lender, accepted by the seller's admin. */
async function openLine(withSeller: TestOrganisation = seller, by: TestOrganisation = lender): Promise<string> {
  return offerAndAccept(api, by, withSeller, terms());
}

async function accountIds(lineId: string): Promise<Record<string, string>> {
  const accounts = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: lineId } });
  return Object.fromEntries(accounts.map((account) => [account.code, account.id]));
}

const usd = (amount: string) => Money.of(amount, 'USD');

/** Posts straight to the ledger, as the draw and accrual processes will. */
async function post(lineId: string, key: string, effectiveDate: string, debit: [string, string][], credit: [string, string][]) {
  const ids = await accountIds(lineId);
  return postEntry(api.db.prisma, {
    idempotencyKey: `${lineId}:${key}`,
    description: key,
    effectiveDate,
    accountSetId: lineId,
    lines: [
      ...debit.map(([code, amount]) => ({ accountId: ids[code], side: 'DEBIT' as const, amount: usd(amount) })),
      ...credit.map(([code, amount]) => ({ accountId: ids[code], side: 'CREDIT' as const, amount: usd(amount) })),
    ],
  });
}

async function statusAudits(lineId: string) {
  const records = await api.db.prisma.auditRecord.findMany({ where: { targetId: lineId, action: { notIn: ['credit_line.offer', 'credit_line.accept'] } }, orderBy: { seq: 'asc' } });
  return records.map((record) => ({ action: record.action, actorUserId: record.actorUserId, before: record.before, after: record.after }));
}

/** Every endpoint that names a line, as (user, line) → request. */
const LINE_ENDPOINTS: Array<[string, (user: TestUser, lineId: string) => ReturnType<TestApi['get']>]> = [
  ['GET /credit-lines/{id}', (user, id) => api.get(user, `/credit-lines/${id}`)],
  ['POST freeze', (user, id) => api.post(user, `/credit-lines/${id}/freeze`)],
  ['POST unfreeze', (user, id) => api.post(user, `/credit-lines/${id}/unfreeze`)],
  ['POST close', (user, id) => api.post(user, `/credit-lines/${id}/close`)],
  ['GET balances', (user, id) => api.get(user, `/credit-lines/${id}/ledger/balances`)],
  ['GET balances asOf', (user, id) => api.get(user, `/credit-lines/${id}/ledger/balances?asOf=2026-11-30`)],
  ['GET statement', (user, id) => api.get(user, `/credit-lines/${id}/statement?from=2026-11-01&to=2026-11-30`)],
];

describe('who can see a line', () => {
  test('the lender and the seller, whatever their role, read the line', async () => {
    const lineId = await openLine();
    for (const user of [lender.admin, lenderViewer, seller.admin, sellerViewer]) {
      const res = await api.get(user, `/credit-lines/${lineId}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(lineId);
    }
  });

  test.each(LINE_ENDPOINTS)('%s: a foreign lender, seller or warehouse gets 404 exactly as for a line that does not exist', async (_name, call) => {
    const lineId = await openLine();
    const unknown = await call(foreignLender.admin, '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    for (const outsider of [foreignLender.admin, foreignSeller.admin, warehouse.admin]) {
      const res = await call(outsider, lineId);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
      expect(res.body.detail).toBe(`credit line ${lineId} does not exist or is not visible to you`);
    }
    const line = await api.db.prisma.creditLine.findUniqueOrThrow({ where: { id: lineId } });
    expect(line.status).toBe('ACTIVE');
    expect(await statusAudits(lineId)).toEqual([]);
  });

  test('the list shows each organisation only the lines it is party to, newest first, page by page', async () => {
    const pagingLender = await api.organisation('LENDER');
    const pagingSeller = await api.counterpart(pagingLender, 'SELLER');
    const pagingOtherSeller = await api.counterpart(pagingLender, 'SELLER');
    const first = await openLine(pagingSeller, pagingLender);
    const second = await openLine(pagingSeller, pagingLender);
    const third = await openLine(pagingSeller, pagingLender);
    const otherSellersLine = await openLine(pagingOtherSeller, pagingLender);

    const page1 = await api.get(pagingSeller.admin, '/credit-lines?limit=2').expect(200);
    expect(page1.body.items.map((line: { id: string }) => line.id)).toEqual([third, second]);
    expect(page1.body.items[0].terms.limit).toEqual({ amount: '250000.00', currency: 'USD' });
    const page2 = await api.get(pagingSeller.admin, `/credit-lines?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
    expect(page2.body.items.map((line: { id: string }) => line.id)).toEqual([first]);
    expect(page2.body.nextCursor).toBeNull();

    const lenderList = await api.get(pagingLender.admin, '/credit-lines').expect(200);
    expect(lenderList.body.items.map((line: { id: string }) => line.id)).toEqual([otherSellersLine, third, second, first]);
    const outsiderList = await api.get(foreignLender.admin, '/credit-lines').expect(200);
    expect(outsiderList.body.items.map((line: { id: string }) => line.id)).not.toContain(first);
  });

  test('a cursor that this endpoint did not issue is refused with 400', async () => {
    const res = await api.get(lender.admin, '/credit-lines?cursor=not-a-cursor');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('query.cursor');
  });
});

describe('freeze, unfreeze, close', () => {
  test('a lender approver freezes and unfreezes; each change is audited with before and after', async () => {
    const lineId = await openLine();
    const frozen = await api.post(lenderApprover, `/credit-lines/${lineId}/freeze`);
    expect(frozen.status).toBe(200);
    expect(frozen.body.status).toBe('FROZEN');
    expect((await api.get(seller.admin, `/credit-lines/${lineId}`)).body.status).toBe('FROZEN');
    const unfrozen = await api.post(lender.admin, `/credit-lines/${lineId}/unfreeze`);
    expect(unfrozen.status).toBe(200);
    expect(unfrozen.body.status).toBe('ACTIVE');
    expect(await statusAudits(lineId)).toEqual([
      { action: 'credit_line.freeze', actorUserId: lenderApprover.userId, before: { status: 'ACTIVE' }, after: { status: 'FROZEN' } },
      { action: 'credit_line.unfreeze', actorUserId: lender.admin.userId, before: { status: 'FROZEN' }, after: { status: 'ACTIVE' } },
    ]);
  });

  test('the seller, or a lender viewer, cannot change the status (403)', async () => {
    const lineId = await openLine();
    for (const user of [seller.admin, lenderViewer]) {
      for (const change of ['freeze', 'close']) {
        const res = await api.post(user, `/credit-lines/${lineId}/${change}`);
        expect(res.status).toBe(403);
      }
    }
    expect((await api.get(lender.admin, `/credit-lines/${lineId}`)).body.status).toBe('ACTIVE');
    expect(await statusAudits(lineId)).toEqual([]);
  });

  test('changes that do not fit the current status are refused with 409 and change nothing', async () => {
    const lineId = await openLine();
    const unfreezeActive = await api.post(lender.admin, `/credit-lines/${lineId}/unfreeze`);
    expect(unfreezeActive.status).toBe(409);
    expect(unfreezeActive.body.detail).toBe(`credit line ${lineId} is ACTIVE; only a line that is FROZEN can be unfrozen`);
    await api.post(lender.admin, `/credit-lines/${lineId}/freeze`).expect(200);
    expect((await api.post(lender.admin, `/credit-lines/${lineId}/freeze`)).status).toBe(409);
    const closed = await api.post(lender.admin, `/credit-lines/${lineId}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('CLOSED');
    for (const change of ['unfreeze', 'freeze', 'close']) {
      const res = await api.post(lender.admin, `/credit-lines/${lineId}/${change}`);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('conflict');
    }
    expect((await statusAudits(lineId)).map((record) => record.action)).toEqual(['credit_line.freeze', 'credit_line.close']);
    expect((await statusAudits(lineId))[1]).toMatchObject({ before: { status: 'FROZEN' }, after: { status: 'CLOSED' } });
  });

  test('close is refused while principal and interest are owed, naming the amounts; the line shows the ledger figures', async () => {
    const lineId = await openLine();
    // A draw of 12 500.00, then 10 days of interest at 12 % ACT/360: 12 500.00 × 0.12 × 10 / 360 = 41.666… → 41.67.
    await post(lineId, 'draw', '2026-11-02', [['LOAN_PRINCIPAL', '12500.00']], [['LENDER_FUNDING', '12500.00']]);
    await post(lineId, 'interest', '2026-11-12', [['INTEREST_RECEIVABLE', '41.67']], [['INTEREST_INCOME', '41.67']]);

    const line = await api.get(seller.admin, `/credit-lines/${lineId}`).expect(200);
    expect(line.body.outstanding).toEqual({
      principal: { amount: '12500.00', currency: 'USD' },
      interestReceivable: { amount: '41.67', currency: 'USD' },
      feesReceivable: { amount: '0.00', currency: 'USD' },
    });
    const ledger = await api.get(lender.admin, `/credit-lines/${lineId}/ledger/balances`).expect(200);
    const ledgerPrincipal = ledger.body.accounts.find((account: { code: string }) => account.code === 'LOAN_PRINCIPAL').balance;
    expect(line.body.outstanding.principal).toEqual(ledgerPrincipal);

    const refused = await api.post(lender.admin, `/credit-lines/${lineId}/close`);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('line_has_outstanding_balance');
    expect(refused.body.detail).toBe(
      `credit line ${lineId} cannot be closed while anything is owed: principal 12 500.00 USD, interest 41.67 USD, fees 0.00 USD; all must be 0`,
    );
    expect((await api.get(lender.admin, `/credit-lines/${lineId}`)).body.status).toBe('ACTIVE');
    expect(await statusAudits(lineId)).toEqual([]);

    // The buyer pays 12 541.67: interest 41.67 first, then principal 12 500.00.
    await post(lineId, 'repayment', '2026-11-20', [['COLLECTION', '12541.67']], [['INTEREST_RECEIVABLE', '41.67'], ['LOAN_PRINCIPAL', '12500.00']]);
    const closed = await api.post(lender.admin, `/credit-lines/${lineId}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('CLOSED');
    expect(closed.body.outstanding.principal).toEqual({ amount: '0.00', currency: 'USD' });
  });

  test('close is refused while sale proceeds are owed to the seller, until they are paid out', async () => {
    const lineId = await openLine();
    await post(lineId, 'draw', '2026-11-02', [['LOAN_PRINCIPAL', '5000.00']], [['LENDER_FUNDING', '5000.00']]);
    // A buyer pays 7 000.00: 5 000.00 repays the principal, 2 000.00 is the seller's.
    await post(lineId, 'sale-payment', '2026-11-20', [['COLLECTION', '7000.00']], [['LOAN_PRINCIPAL', '5000.00'], ['SELLER_PAYABLE', '2000.00']]);

    const refused = await api.post(lender.admin, `/credit-lines/${lineId}/close`);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('line_has_seller_proceeds_unpaid');
    expect(refused.body.detail).toBe(`credit line ${lineId} cannot be closed while 2 000.00 USD of sale proceeds is owed to the seller; pay them out first`);
    expect((await api.get(lender.admin, `/credit-lines/${lineId}`)).body.status).toBe('ACTIVE');

    await api.post(lender.admin, `/credit-lines/${lineId}/seller-payouts`, { amount: { amount: '1999.99', currency: 'USD' }, paidOn: utcDay(new Date()) }).expect(201);
    expect((await api.post(lender.admin, `/credit-lines/${lineId}/close`)).body.code).toBe('line_has_seller_proceeds_unpaid');
    await api.post(lender.admin, `/credit-lines/${lineId}/seller-payouts`, { amount: { amount: '0.01', currency: 'USD' }, paidOn: utcDay(new Date()) }).expect(201);
    const closed = await api.post(lender.admin, `/credit-lines/${lineId}/close`).expect(200);
    expect(closed.body.status).toBe('CLOSED');
  });
});

describe('an offer until the seller accepts it', () => {
  async function offer(): Promise<string> {
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: terms() }).expect(201);
    expect(res.body.status).toBe('OFFERED');
    return res.body.id as string;
  }

  test("the seller's ADMIN accepts: ACTIVE, acceptedAt set, audited in both feeds; accepting again is a 409", async () => {
    const lineId = await offer();
    const accepted = await api.post(seller.admin, `/credit-lines/${lineId}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('ACTIVE');
    expect(typeof accepted.body.acceptedAt).toBe('string');
    const audits = await api.db.prisma.auditRecord.findMany({ where: { targetId: lineId, action: 'credit_line.accept' }, orderBy: { seq: 'asc' } });
    expect(audits.map((record) => [record.actorUserId, record.organisationId, record.before, record.after])).toEqual([
      [seller.admin.userId, seller.organisationId, { status: 'OFFERED' }, { status: 'ACTIVE' }],
      [seller.admin.userId, lender.organisationId, { status: 'OFFERED' }, { status: 'ACTIVE' }],
    ]);
    const again = await api.post(seller.admin, `/credit-lines/${lineId}/accept`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(`credit line ${lineId} is ACTIVE; only a line that is OFFERED can be accepted`);
  });

  test('only the seller ADMIN accepts or declines: the lender, a seller viewer and a stranger cannot (403 / 404)', async () => {
    const lineId = await offer();
    for (const user of [lender.admin, lenderApprover, sellerViewer]) {
      for (const change of ['accept', 'decline']) {
        const res = await api.post(user, `/credit-lines/${lineId}/${change}`);
        expect(res.status).toBe(403);
      }
    }
    const byLender = await api.post(lender.admin, `/credit-lines/${lineId}/accept`);
    expect(byLender.body.detail).toBe(`credit line ${lineId}: only ADMIN of the line's seller can accept it; you are ADMIN of its lender`);
    expect((await api.post(foreignSeller.admin, `/credit-lines/${lineId}/accept`)).status).toBe(404);
    expect((await api.get(lender.admin, `/credit-lines/${lineId}`)).body.status).toBe('OFFERED');
  });

  test('the seller declines, or the lender withdraws: final, and nothing can reopen the offer', async () => {
    const declined = await offer();
    expect((await api.post(seller.admin, `/credit-lines/${declined}/decline`).expect(200)).body.status).toBe('DECLINED');
    const withdrawn = await offer();
    expect((await api.post(seller.admin, `/credit-lines/${withdrawn}/withdraw`)).status).toBe(403);
    expect((await api.post(lenderApprover, `/credit-lines/${withdrawn}/withdraw`).expect(200)).body.status).toBe('WITHDRAWN');
    for (const lineId of [declined, withdrawn]) {
      expect((await api.post(seller.admin, `/credit-lines/${lineId}/accept`)).status).toBe(409);
      for (const change of ['freeze', 'unfreeze', 'close', 'withdraw']) {
        expect((await api.post(lender.admin, `/credit-lines/${lineId}/${change}`)).status).toBe(409);
      }
    }
    const active = await openLine();
    expect((await api.post(lender.admin, `/credit-lines/${active}/withdraw`)).status).toBe(409);
  });
});
