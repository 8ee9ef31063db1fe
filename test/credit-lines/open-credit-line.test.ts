import { ok, type operations } from '../../client';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

const NO_DELINQUENCY = { gracePeriodDays: 0, defaultInterestSpread: '0', defaultAfterDaysPastDue: null };
const NO_CONCENTRATION_LIMITS = { commodity: null, warehouse: null, lot: null };

type OfferTerms = operations['openCreditLine']['requestBody']['content']['application/json']['terms'];

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.counterpart(lender, 'SELLER');
});
afterAll(() => api.close());

/** Consistent terms, written as the API echoes them (amounts at cent scale, rates without trailing zeros). */
function appleTerms() {
  return {
    currency: 'USD',
    limit: { amount: '500000.00', currency: 'USD' },
    defaultAdvanceRate: '0.5',
    advanceRatesByCommodity: { APPLES: '0.45' },
    haircut: '0.1',
    annualInterestRate: '0.12',
    dayCount: 'ACT_360',
    feeSchedule: { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: { amount: '0.0004', currency: 'USD', unit: 'kg' } }, perDraw: { amount: '25.00', currency: 'USD' } },
    maxMarkAgeHours: 48,
    marginCallLtv: '0.6',
    liquidationLtv: '0.75',
    targetLtv: '0.4',
    curePeriodHours: 72,
    stockCountIntervalDays: 30,
    maturityDate: '2027-11-30',
    approvalThresholds: { autoApproveUpTo: { amount: '10000.00', currency: 'USD' }, singleApproverUpTo: { amount: '100000.00', currency: 'USD' } },
    approvalWindowHours: 24,
    waterfallOrder: ['FEES', 'INTEREST', 'PRINCIPAL'],
    approvedWarehouseIds: [] as string[],
  } satisfies OfferTerms;
}

function errorPaths(body: { errors: { path: string }[] }): string[] {
  return body.errors.map((error) => error.path).sort();
}

async function linesWithSeller(sellerOrganisationId: string): Promise<number> {
  return api.db.prisma.creditLine.count({ where: { sellerOrganisationId } });
}

describe('opening a credit line', () => {
  test('a lender admin offers a line: terms echoed exactly, OFFERED, nothing outstanding', async () => {
    const terms = appleTerms();
    const lenderClient = api.client(lender.admin);
    const offered = await lenderClient.POST('/credit-lines', { body: { sellerOrganisationId: seller.organisationId, terms } });
    expect(offered.response.status).toBe(201);
    const line = await ok(Promise.resolve(offered));
    expect(line).toMatchObject({
      lenderOrganisationId: lender.organisationId,
      sellerOrganisationId: seller.organisationId,
      status: 'OFFERED',
      acceptedAt: null,
      outstanding: {
        principal: { amount: '0.00', currency: 'USD' },
        interestReceivable: { amount: '0.00', currency: 'USD' },
        feesReceivable: { amount: '0.00', currency: 'USD' },
      },
    });
    // A fixed-rate line reads back with floatingRate null (no reference rate), and without delinquency terms with none,
    // overdue from the first day past due, no default interest, never in default by itself; and with no concentration limit.
    expect(line.terms).toEqual({ ...terms, floatingRate: null, delinquency: NO_DELINQUENCY, concentrationLimits: NO_CONCENTRATION_LIMITS, interestBilling: null });
    const read = await ok(lenderClient.GET('/credit-lines/{lineId}', { params: { path: { lineId: line.id } } }));
    expect(read.terms).toEqual({ ...terms, floatingRate: null, delinquency: NO_DELINQUENCY, concentrationLimits: NO_CONCENTRATION_LIMITS, interestBilling: null });
  });

  test('the line gets its 8 ledger accounts, in its currency, at zero, with the agreed types and guards', async () => {
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: appleTerms() }).expect(201);
    const accounts = await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: res.body.id }, orderBy: { code: 'asc' } });
    const shape = Object.fromEntries(
      accounts.map((a) => [a.code, [a.type, a.normalBalance, a.mustNotGoNegative, a.currency, a.balance.toFixed()].join(' ')]),
    );
    expect(shape).toEqual({
      LOAN_PRINCIPAL: 'ASSET DEBIT true USD 0',
      INTEREST_RECEIVABLE: 'ASSET DEBIT true USD 0',
      FEES_RECEIVABLE: 'ASSET DEBIT true USD 0',
      COLLECTION: 'ASSET DEBIT true USD 0',
      LENDER_FUNDING: 'EQUITY CREDIT false USD 0',
      SELLER_PAYABLE: 'LIABILITY CREDIT true USD 0',
      INTEREST_INCOME: 'INCOME CREDIT false USD 0',
      FEE_INCOME: 'INCOME CREDIT false USD 0',
    });
  });

  test("an offer is audited once in the lender's feed and once in the seller's, by the lender admin, with the terms as the after state", async () => {
    const { approvedWarehouseIds: _none, ...terms } = { ...appleTerms(), feeSchedule: { onSale: { kind: 'PERCENT_OF_PROCEEDS', percent: '1.5' }, perDraw: null } };
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms }).expect(201);
    const records = await api.db.prisma.auditRecord.findMany({ where: { targetType: 'credit_line', targetId: res.body.id }, orderBy: { seq: 'asc' } });
    expect(records.map((record) => [record.action, record.actorUserId, record.organisationId, record.before])).toEqual([
      ['credit_line.offer', lender.admin.userId, lender.organisationId, null],
      ['credit_line.offer', lender.admin.userId, seller.organisationId, null],
    ]);
    for (const record of records) {
      expect(record.after).toEqual({
        lenderOrganisationId: lender.organisationId,
        sellerOrganisationId: seller.organisationId,
        status: 'OFFERED',
        // The audit keeps the stored snapshot of the terms: amounts as decimal strings in the line currency.
        terms: { ...terms, floatingRate: null, delinquency: NO_DELINQUENCY, concentrationLimits: NO_CONCENTRATION_LIMITS, interestBilling: null, limit: '500000.00', approvalThresholds: { autoApproveUpTo: '10000.00', singleApproverUpTo: '100000.00' } },
        approvedWarehouseIds: [],
      });
    }
  });

  test('advance rates per commodity and the waterfall order default to none and FEES, INTEREST, PRINCIPAL', async () => {
    const { advanceRatesByCommodity: _rates, waterfallOrder: _order, ...terms } = appleTerms();
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms }).expect(201);
    expect(res.body.terms.advanceRatesByCommodity).toEqual({});
    expect(res.body.terms.waterfallOrder).toEqual(['FEES', 'INTEREST', 'PRINCIPAL']);
  });

  test('a replayed request (same Idempotency-Key) returns the same line and opens only one', async () => {
    const newSeller = await api.counterpart(lender, 'SELLER');
    const body = { sellerOrganisationId: newSeller.organisationId, terms: appleTerms() };
    const first = await api.post(lender.admin, '/credit-lines', body, 'open-line-once');
    const second = await api.post(lender.admin, '/credit-lines', body, 'open-line-once');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await linesWithSeller(newSeller.organisationId)).toBe(1);
    expect(await api.db.prisma.ledgerAccount.count({ where: { accountSetId: first.body.id } })).toBe(8);
  });
});

describe('terms are validated', () => {
  test('inconsistent terms are refused with 400 listing every problem under its body path, and nothing is stored', async () => {
    const newSeller = await api.counterpart(lender, 'SELLER');
    const terms = {
      ...appleTerms(),
      haircut: '1.2',
      targetLtv: '0.65',
      advanceRatesByCommodity: { APPLES: '0.7' },
      approvalThresholds: { autoApproveUpTo: { amount: '10000.00', currency: 'USD' }, singleApproverUpTo: { amount: '600000.00', currency: 'USD' } },
    };
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: newSeller.organisationId, terms });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    // targetLtv 0.65 is both ≥ marginCallLtv 0.6 and above the default advance rate 0.5.
    expect(errorPaths(res.body)).toEqual([
      'body.terms.advanceRatesByCommodity.APPLES',
      'body.terms.approvalThresholds.singleApproverUpTo',
      'body.terms.haircut',
      'body.terms.targetLtv',
      'body.terms.targetLtv',
    ]);
    const reasons = res.body.errors.map((e: { reason: string }) => e.reason);
    expect(reasons).toContain('targetLtv 0.65 must be below marginCallLtv 0.6');
    expect(reasons).toContain('singleApproverUpTo 600 000.00 USD must not exceed the limit 500 000.00 USD');
    expect(await linesWithSeller(newSeller.organisationId)).toBe(0);
    expect(await api.db.prisma.auditRecord.count({ where: { action: 'credit_line.open', after: { path: ['sellerOrganisationId'], equals: newSeller.organisationId } } })).toBe(0);
  });

  test('a JSON number for the limit is refused, naming body.terms.limit.amount', async () => {
    const res = await api.post(lender.admin, '/credit-lines', {
      sellerOrganisationId: seller.organisationId,
      terms: { ...appleTerms(), limit: { amount: 500000, currency: 'USD' } },
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['body.terms.limit.amount']);
    expect(res.body.errors[0].reason).toContain('not a JSON number');
  });

  test.each(['ACT_360', 'ACT_365', 'ACT_ACT_ISDA', 'THIRTY_E_360'])('the %s day count is offered and read back', async (dayCount) => {
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: { ...appleTerms(), dayCount } }).expect(201);
    expect(res.body.terms.dayCount).toBe(dayCount);
    expect((await api.get(lender.admin, `/credit-lines/${res.body.id}`).expect(200)).body.terms.dayCount).toBe(dayCount);
  });

  test('an unknown day count is refused naming body.terms.dayCount and the conventions offered', async () => {
    const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: { ...appleTerms(), dayCount: '30_360' } });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['body.terms.dayCount']);
    expect(res.body.errors[0].reason).toContain('THIRTY_E_360');
  });

  test('a rate with more decimal places than are stored is refused rather than rounded', async () => {
    const res = await api.post(lender.admin, '/credit-lines', {
      sellerOrganisationId: seller.organisationId,
      terms: { ...appleTerms(), haircut: '0.10000000001' },
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['body.terms.haircut']);
  });

  test("a limit finer than the currency's scale is refused, naming body.terms.limit.amount", async () => {
    const res = await api.post(lender.admin, '/credit-lines', {
      sellerOrganisationId: seller.organisationId,
      terms: { ...appleTerms(), limit: { amount: '500000.005', currency: 'USD' } },
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['body.terms.limit.amount']);
    expect(res.body.errors[0].reason).toContain("more decimal places than its currency's ISO 4217 scale");
  });

  test("a limit in another currency than the line's is refused, naming body.terms.limit", async () => {
    const res = await api.post(lender.admin, '/credit-lines', {
      sellerOrganisationId: seller.organisationId,
      terms: { ...appleTerms(), limit: { amount: '500000.00', currency: 'EUR' } },
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body)).toEqual(['body.terms.limit']);
  });
});

describe('who may open a line, and with whom', () => {
  test('a lender user who is not ADMIN is refused with 403', async () => {
    const approver = await lender.addUser('APPROVER');
    const res = await api.post(approver, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: appleTerms() });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  test('an admin of a seller or warehouse (not a lender) is refused with 403', async () => {
    const warehouse = await api.organisation('WAREHOUSE');
    for (const admin of [seller.admin, warehouse.admin]) {
      const res = await api.post(admin, '/credit-lines', { sellerOrganisationId: seller.organisationId, terms: appleTerms() });
      expect(res.status).toBe(403);
    }
  });

  test('the counterparty must be a SELLER organisation: a warehouse counterpart or an unknown id is refused with 422', async () => {
    const warehouse = await api.counterpart(lender, 'WAREHOUSE');
    const wrongKind = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: warehouse.organisationId, terms: appleTerms() });
    expect(wrongKind.status).toBe(422);
    expect(wrongKind.body.code).toBe('seller_organisation_required');
    expect(wrongKind.body.detail).toBe(`organisation ${warehouse.organisationId} is a WAREHOUSE; a credit line is offered to a SELLER organisation`);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const unknown = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: unknownId, terms: appleTerms() });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('seller_not_counterpart');
    expect(await api.db.prisma.creditLine.count({ where: { sellerOrganisationId: { in: [warehouse.organisationId, unknownId] } } })).toBe(0);
  });

  test('a lender cannot open a line on a seller it did not onboard (another lender\'s seller, or one bootstrapped alone): 422, nothing stored', async () => {
    const otherLender = await api.organisation('LENDER');
    const othersSeller = await api.counterpart(otherLender, 'SELLER');
    const loneSeller = await api.organisation('SELLER');
    for (const target of [othersSeller, loneSeller]) {
      const res = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: target.organisationId, terms: appleTerms() });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('seller_not_counterpart');
      expect(res.body.detail).toBe(
        `organisation ${target.organisationId} is not a seller you onboarded; a lender offers credit lines only to its own SELLER counterparts (register them with POST /organisations)`,
      );
      expect(await linesWithSeller(target.organisationId)).toBe(0);
    }
  });

  test('approved warehouses must be operated by the lender\'s own WAREHOUSE counterparts: another lender\'s warehouse is refused', async () => {
    const otherLender = await api.organisation('LENDER');
    const foreignOperator = await api.counterpart(otherLender, 'WAREHOUSE');
    const foreign = await api.post(foreignOperator.admin, '/warehouses', { name: 'Not ours' }).expect(201);
    const ownOperator = await api.counterpart(lender, 'WAREHOUSE');
    const own = await api.post(ownOperator.admin, '/warehouses', { name: 'Ours' }).expect(201);
    const newSeller = await api.counterpart(lender, 'SELLER');
    const refused = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: newSeller.organisationId, terms: { ...appleTerms(), approvedWarehouseIds: [own.body.id, foreign.body.id] } });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('warehouse_not_counterpart');
    expect(refused.body.detail).toContain(`warehouse(s) ${foreign.body.id} are not operated by a warehouse you onboarded`);
    expect(await linesWithSeller(newSeller.organisationId)).toBe(0);
    const offered = await api.post(lender.admin, '/credit-lines', { sellerOrganisationId: newSeller.organisationId, terms: { ...appleTerms(), approvedWarehouseIds: [own.body.id] } });
    expect(offered.status).toBe(201);
    expect(offered.body.terms.approvedWarehouseIds).toEqual([own.body.id]);
  });
});
