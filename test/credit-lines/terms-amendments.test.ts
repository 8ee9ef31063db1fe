/**
 * Terms have versions (domain/terms-amendment.ts, prisma/credit-lines/terms-versions.ts), through the API.
 *
 * Accrual figures (ACT/360, 36 000.00 USD drawn on 2026-10-01):
 *   2026-10-01 … 10-09 at 12 % (version 1): 36 000 × 0.12 / 360 = 12.00 a day, 9 days = 108.00
 *   2026-10-10 … 10-12 at  9 % (version 2): 36 000 × 0.09 / 360 =  9.00 a day, 3 days =  27.00
 *   interest receivable after 2026-10-12: 135.00
 */
import { accrueLineDay, accrueLines, datesFromTo } from '../../prisma/accrual/store';
import { applyDueTermsVersions } from '../../prisma/credit-lines/terms-versions';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, type AccruingLine } from '../accrual/factories';

let now = new Date('2026-10-10T12:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let operator: TestUser;
let approver: TestUser;
let viewer: TestUser;
let sellerOperator: TestUser;

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  operator = await lender.addUser('OPERATOR');
  approver = await lender.addUser('APPROVER');
  viewer = await lender.addUser('VIEWER');
  sellerOperator = await seller.addUser('OPERATOR');
});
afterAll(() => api.close());

const parties = () => ({ lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId });
const errorPaths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((error) => error.path);

async function notificationKinds(organisationId: string, lineId: string): Promise<string[]> {
  const rows = await api.db.prisma.notification.findMany({ where: { organisationId, subjectId: lineId }, orderBy: { createdAt: 'asc' } });
  return rows.map((row) => row.kind).sort();
}

describe('a rate cut from today: proposed, approved by a second lender user, in force at once; each day accrues at its version', () => {
  let line: AccruingLine;
  let batchLine: AccruingLine;

  beforeAll(async () => {
    now = new Date('2026-10-10T12:00:00Z');
    line = await openLine(api.db.prisma, parties(), { openedOn: '2026-10-01' });
    batchLine = await openLine(api.db.prisma, parties(), { openedOn: '2026-10-01' });
    for (const each of [line, batchLine]) await draw(api.db.prisma, each, '2026-10-01', '36000.00');
  });

  test('only a lender OPERATOR or ADMIN proposes; a past effective date is refused naming body.effectiveFrom', async () => {
    const body = { effectiveFrom: '2026-10-10', terms: { annualInterestRate: '0.09' } };
    expect((await api.post(seller.admin, `/credit-lines/${line.id}/terms`, body)).status).toBe(403);
    expect((await api.post(approver, `/credit-lines/${line.id}/terms`, body)).status).toBe(403);
    expect((await api.post(viewer, `/credit-lines/${line.id}/terms`, body)).status).toBe(403);
    const past = await api.post(operator, `/credit-lines/${line.id}/terms`, { ...body, effectiveFrom: '2026-10-09' }).expect(400);
    expect(errorPaths(past.body)).toEqual(['body.effectiveFrom']);
    const inconsistent = await api.post(operator, `/credit-lines/${line.id}/terms`, { ...body, terms: { targetLtv: '0.7' } }).expect(400);
    expect(errorPaths(inconsistent.body)).toContain('body.terms.targetLtv');
    const unknownField = await api.post(operator, `/credit-lines/${line.id}/terms`, { ...body, terms: { currency: 'EUR' } }).expect(400);
    expect(errorPaths(unknownField.body)).toEqual(['body.terms']);
  });

  test('the proposer cannot approve; another lender user does, and the new rate is the line rate at once', async () => {
    const proposed = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-10', terms: { annualInterestRate: '0.09' } }).expect(201);
    expect(proposed.body).toMatchObject({ versionNo: 2, status: 'PENDING_APPROVAL', effectiveFrom: '2026-10-10', worsensForSeller: false, worsenings: [], proposedBy: operator.userId, appliedAt: null });
    expect(proposed.body.terms.annualInterestRate).toBe('0.09');
    // One pending amendment at a time.
    expect((await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-11', terms: { limit: { amount: '200000000.00', currency: 'USD' } } })).status).toBe(409);
    expect((await api.post(operator, `/credit-lines/${line.id}/terms/2/approve`)).status).toBe(409);
    expect((await api.post(viewer, `/credit-lines/${line.id}/terms/2/approve`)).status).toBe(403);
    const approved = await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
    expect(approved.body).toMatchObject({ status: 'AGREED', approvedBy: approver.userId });
    expect(approved.body.appliedAt).not.toBeNull();
    expect((await api.get(seller.admin, `/credit-lines/${line.id}`).expect(200)).body.terms.annualInterestRate).toBe('0.09');

    const events = await api.db.prisma.domainEvent.findMany({ where: { subjectId: line.id }, orderBy: { seq: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['terms.amendment_proposed', 'terms.amendment_approved', 'terms.amendment_effective']);
    expect(await notificationKinds(seller.organisationId, line.id)).toEqual(['terms_amendment_agreed', 'terms_amendment_effective', 'terms_amendment_proposed']);
    expect(await notificationKinds(lender.organisationId, line.id)).toEqual(['terms_amendment_effective', 'terms_amendment_proposed']);
  });

  test('the history of versions reads as a page, oldest first', async () => {
    const first = await api.get(seller.admin, `/credit-lines/${line.id}/terms?limit=1`).expect(200);
    expect(first.body.items.map((v: { versionNo: number; status: string; effectiveFrom: string }) => [v.versionNo, v.status, v.effectiveFrom])).toEqual([[1, 'AGREED', '2026-10-01']]);
    expect(first.body.items[0].terms.annualInterestRate).toBe('0.12');
    const second = await api.get(seller.admin, `/credit-lines/${line.id}/terms?limit=1&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body.items.map((v: { versionNo: number; status: string }) => [v.versionNo, v.status])).toEqual([[2, 'AGREED']]);
    const stranger = await api.organisation('LENDER');
    expect((await api.get(stranger.admin, `/credit-lines/${line.id}/terms`)).status).toBe(404);
  });

  test('each day accrues at the rate of its version, on the one-line path and the batch path alike', async () => {
    await api.post(operator, `/credit-lines/${batchLine.id}/terms`, { effectiveFrom: '2026-10-10', terms: { annualInterestRate: '0.09' } }).expect(201);
    await api.post(approver, `/credit-lines/${batchLine.id}/terms/2/approve`).expect(200);
    now = new Date('2026-10-13T06:00:00Z');
    for (const date of datesFromTo('2026-10-01', '2026-10-12')) {
      await accrueLineDay(api.db.prisma, line.id, date, { now });
      await accrueLines(api.db.prisma, date, [batchLine.id], { now });
    }
    const expected = [
      ...datesFromTo('2026-10-01', '2026-10-09').map((date) => [date, '0.12', 1, '12.00']),
      ...datesFromTo('2026-10-10', '2026-10-12').map((date) => [date, '0.09', 2, '9.00']),
    ];
    for (const each of [line, batchLine]) {
      const accruals = await api.get(lender.admin, `/credit-lines/${each.id}/accruals`).expect(200);
      expect(accruals.body.items.map((a: { accrualDate: string; annualInterestRate: string; termsVersionNo: number; postedInterest: { amount: string } }) => [a.accrualDate, a.annualInterestRate, a.termsVersionNo, a.postedInterest.amount])).toEqual(expected);
      const balances = await api.get(seller.admin, `/credit-lines/${each.id}/ledger/balances`).expect(200);
      // 9 × 12.00 + 3 × 9.00
      expect(balances.body.accounts.find((a: { code: string }) => a.code === 'INTEREST_RECEIVABLE').balance.amount).toBe('135.00');
    }
  });

  test('the statement marks the change in its JSON and its CSV', async () => {
    const json = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-10-01&to=2026-10-12`).expect(200);
    expect(json.body.termsChanges).toEqual([
      { versionNo: 2, effectiveFrom: '2026-10-10', changedFields: ['annualInterestRate'], worsenings: [], description: 'Terms version 2 in force from 2026-10-10: annualInterestRate 0.12 → 0.09' },
    ]);
    expect((await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-10-11&to=2026-10-12`).expect(200)).body.termsChanges).toEqual([]);
    const csv = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-10-01&to=2026-10-12`).set('Accept', 'text/csv').expect(200);
    expect(csv.text.split('\r\n').filter((record) => record.includes('TERMS_CHANGE'))).toEqual([
      `${line.id},,,,,TERMS_CHANGE,2026-10-10,,,2,Terms version 2 in force from 2026-10-10: annualInterestRate 0.12 → 0.09,,,,`,
    ]);
  });
});

describe('a limit cut below what is outstanding: the seller accepts it, it takes effect on its day, and draws stop with the reason shown', () => {
  let line: AccruingLine;

  beforeAll(async () => {
    now = new Date('2026-10-10T12:00:00Z');
    line = await openLine(api.db.prisma, parties(), { openedOn: '2026-10-01' });
    await draw(api.db.prisma, line, '2026-10-01', '36000.00');
  });

  test('a worsening amendment waits for the seller ADMIN; it applies on its effective day', async () => {
    await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-11', terms: { limit: { amount: '30000.00', currency: 'USD' }, approvalThresholds: { autoApproveUpTo: { amount: '0.00', currency: 'USD' }, singleApproverUpTo: { amount: '0.00', currency: 'USD' } } } }).expect(201);
    const approved = await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
    expect(approved.body).toMatchObject({ status: 'PENDING_ACCEPTANCE', worsensForSeller: true, worsenings: ['limit'] });
    expect((await api.post(sellerOperator, `/credit-lines/${line.id}/terms/2/accept`)).status).toBe(403);
    const accepted = await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);
    expect(accepted.body).toMatchObject({ status: 'AGREED', acceptedBy: seller.admin.userId, appliedAt: null });
    // Not in force yet: today's terms are version 1's.
    expect((await api.get(seller.admin, `/credit-lines/${line.id}`).expect(200)).body.terms.limit).toEqual({ amount: '100000000.00', currency: 'USD' });

    now = new Date('2026-10-11T00:30:00Z');
    expect(await applyDueTermsVersions(api.db.prisma, now)).toBe(1);
    expect(await applyDueTermsVersions(api.db.prisma, now)).toBe(0);
    expect((await api.get(seller.admin, `/credit-lines/${line.id}`).expect(200)).body.terms.limit).toEqual({ amount: '30000.00', currency: 'USD' });
    const position = await api.get(seller.admin, `/credit-lines/${line.id}/borrowing-base`).expect(200);
    expect(position.body.totals).toMatchObject({ limit: { amount: '30000.00', currency: 'USD' }, outstandingPrincipal: { amount: '36000.00', currency: 'USD' }, availability: { amount: '-36000.00', currency: 'USD' }, noAvailabilityReason: 'LIMIT_BELOW_OUTSTANDING' });
    const events = await api.db.prisma.domainEvent.findMany({ where: { subjectId: line.id }, orderBy: { seq: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['terms.amendment_proposed', 'terms.amendment_approved', 'terms.amendment_accepted', 'terms.amendment_effective']);
  });

  test('an amendment may be declined by the seller or withdrawn by the lender; one agreed after its date is refused', async () => {
    await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-12', terms: { haircut: '0.2' } }).expect(201);
    await api.post(approver, `/credit-lines/${line.id}/terms/3/approve`).expect(200);
    expect((await api.post(seller.admin, `/credit-lines/${line.id}/terms/3/decline`).expect(200)).body).toMatchObject({ status: 'DECLINED', closedBy: seller.admin.userId });
    await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-12', terms: { haircut: '0.05' } }).expect(201);
    expect((await api.post(lender.admin, `/credit-lines/${line.id}/terms/4/withdraw`).expect(200)).body).toMatchObject({ status: 'WITHDRAWN' });
    expect((await api.post(approver, `/credit-lines/${line.id}/terms/4/approve`)).status).toBe(409);

    await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-11', terms: { haircut: '0.05' } }).expect(201);
    now = new Date('2026-10-12T09:00:00Z');
    const late = await api.post(approver, `/credit-lines/${line.id}/terms/5/approve`).expect(422);
    expect(late.body.detail).toMatch(/was to take effect on 2026-10-11, before it was agreed/);
    const versions = await api.get(lender.admin, `/credit-lines/${line.id}/terms`).expect(200);
    expect(versions.body.items.map((v: { versionNo: number; status: string }) => [v.versionNo, v.status])).toEqual([
      [1, 'AGREED'],
      [2, 'AGREED'],
      [3, 'DECLINED'],
      [4, 'WITHDRAWN'],
      [5, 'PENDING_APPROVAL'],
    ]);
  });
});
