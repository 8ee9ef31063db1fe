/**
 * Floating interest through the API, and the "done when": a line on a floating rate, amended mid-month,
 * gives exactly the figures of a hand computation.
 *
 * The line (ACT/360) opens on 2026-10-01 on a fixed 12 %; from 2026-10-01 it floats (version 2, accepted by the
 * seller since a change of rate basis needs it): SOFR + 2.00 % with a 0 % floor on SOFR. An amendment agreed on
 * 2026-10-15 lowers the spread to 1.50 % from 2026-10-16 (version 3: better for the seller, no acceptance needed).
 * SOFR is registered with maxFixingAgeDays 5 and fixed on 10-01 (4.30 %), 10-06 (4.25 %), 10-14 (4.10 %),
 * 10-20 (4.40 %) and 10-26 (4.40 % again); nothing is posted between 10-06 and 10-14, so 10-12 and 10-13 use the
 * 10-06 fixing 6 and 7 days old: STALE_FIXING. 100 000.00 is drawn on 10-01; 40 000.00 is repaid on 10-20 (a day accrues on its
 * principal at the end of the day, so 10-20 is charged on 60 000.00).
 *
 *   days            n  principal   fixing (of)        spread  rate     a day (× rate ÷ 360, 18 places)   n days
 *   10-01 … 10-05   5  100 000.00  0.0430 (10-01)     0.02    0.0630   17.5                                  87.5
 *   10-06 … 10-11   6  100 000.00  0.0425 (10-06)     0.02    0.0625   17.361111111111111111               104.166666666666666666
 *   10-12 … 10-13   2  100 000.00  0.0425 (10-06) ⚑   0.02    0.0625   17.361111111111111111                34.722222222222222222
 *   10-14 … 10-15   2  100 000.00  0.0410 (10-14)     0.02    0.0610   16.944444444444444444                33.888888888888888888
 *   10-16 … 10-19   4  100 000.00  0.0410 (10-14)     0.015   0.0560   15.555555555555555556                62.222222222222222224
 *   10-20 … 10-25   6   60 000.00  0.0440 (10-20)     0.015   0.0590    9.833333333333333333                58.999999999999999998
 *   10-26 … 10-31   6   60 000.00  0.0440 (10-26)     0.015   0.0590    9.833333333333333333                58.999999999999999998
 *                                                                                                  Σ exact  440.499999999999999996
 * Posted with the remainder carried: 440.50, and −0.000000000000000004 carried into November.
 */
import { D } from '../../domain/money';
import { accrueDate, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation, type TestUser } from '../support/api';
import { draw, openLine, repay, type AccruingLine } from '../accrual/factories';

let now = new Date('2026-10-01T08:00:00Z');
let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let operator: TestUser;
let approver: TestUser;
let viewer: TestUser;
let line: AccruingLine;
let sofr: string;

beforeAll(async () => {
  api = await createTestApi({ clock: () => now });
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  operator = await lender.addUser('OPERATOR');
  approver = await lender.addUser('APPROVER');
  viewer = await lender.addUser('VIEWER');
  line = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-10-01' });
});
afterAll(() => api.close());

async function fixing(effectiveDate: string, rate: string, at: string) {
  now = new Date(at);
  await api.post(operator, `/reference-rates/${sofr}/fixings`, { effectiveDate, rate }).expect(201);
}

describe('reference rates and their fixings', () => {
  test('a lender ADMIN registers a rate; its OPERATOR (the price feed) posts fixings, append-only, dated today or earlier', async () => {
    expect((await api.post(operator, '/reference-rates', { code: 'SOFR', name: 'Secured Overnight Financing Rate', maxFixingAgeDays: 5 })).status).toBe(403);
    const registered = await api.post(lender.admin, '/reference-rates', { code: 'SOFR', name: 'Secured Overnight Financing Rate', maxFixingAgeDays: 5 }).expect(201);
    sofr = registered.body.id;
    expect((await api.post(lender.admin, '/reference-rates', { code: 'SOFR', name: 'again', maxFixingAgeDays: 3 })).status).toBe(409);

    // A floating rate needs a fixing in force on the day it takes effect.
    const early = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-01', terms: { floatingRate: { referenceRateId: sofr, spread: '0.02', floor: '0' } } });
    expect(early.status).toBe(422);
    expect(early.body.detail).toMatch(/has no fixing on or before 2026-10-01/);

    await fixing('2026-10-01', '0.0430', '2026-10-01T08:00:00Z');
    expect((await api.post(operator, `/reference-rates/${sofr}/fixings`, { effectiveDate: '2026-10-01', rate: '0.0431' })).status).toBe(409);
    const ahead = await api.post(operator, `/reference-rates/${sofr}/fixings`, { effectiveDate: '2026-10-02', rate: '0.0431' });
    expect([ahead.status, ahead.body.detail]).toEqual([422, 'a fixing is posted once known: effectiveDate 2026-10-02 is after today (2026-10-01)']);
    expect((await api.post(viewer, `/reference-rates/${sofr}/fixings`, { effectiveDate: '2026-09-30', rate: '0.0431' })).status).toBe(403);
    expect((await api.post(seller.admin, `/reference-rates/${sofr}/fixings`, { effectiveDate: '2026-09-30', rate: '0.0431' })).status).toBe(403);
    const tooPrecise = await api.post(operator, `/reference-rates/${sofr}/fixings`, { effectiveDate: '2026-09-30', rate: '0.04312345678' }).expect(400);
    expect(tooPrecise.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.rate']);
    await expect(api.db.prisma.$executeRawUnsafe(`UPDATE rate_fixing SET rate = 0.05 WHERE reference_rate_id = '${sofr}'`)).rejects.toThrow();
  });

  test('fixed to floating worsens the seller\'s terms: approved, then accepted by the seller, in force from 2026-10-01', async () => {
    now = new Date('2026-10-01T09:00:00Z');
    await draw(api.db.prisma, line, '2026-10-01', '100000.00');
    const proposed = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-01', terms: { floatingRate: { referenceRateId: sofr, spread: '0.02', floor: '0' } } }).expect(201);
    expect(proposed.body).toMatchObject({ versionNo: 2, worsensForSeller: true, worsenings: ['floatingRate'] });
    await api.post(approver, `/credit-lines/${line.id}/terms/2/approve`).expect(200);
    await api.post(seller.admin, `/credit-lines/${line.id}/terms/2/accept`).expect(200);
    expect((await api.get(seller.admin, `/credit-lines/${line.id}`).expect(200)).body.terms.floatingRate).toEqual({ referenceRateId: sofr, spread: '0.02', floor: '0' });
  });

  test('the mid-month amendment: a lower spread from 2026-10-16, agreed on approval', async () => {
    await fixing('2026-10-06', '0.0425', '2026-10-06T18:00:00Z');
    await fixing('2026-10-14', '0.0410', '2026-10-14T18:00:00Z');
    now = new Date('2026-10-15T10:00:00Z');
    const proposed = await api.post(operator, `/credit-lines/${line.id}/terms`, { effectiveFrom: '2026-10-16', terms: { floatingRate: { referenceRateId: sofr, spread: '0.015', floor: '0' } } }).expect(201);
    expect(proposed.body).toMatchObject({ versionNo: 3, worsensForSeller: false });
    expect((await api.post(approver, `/credit-lines/${line.id}/terms/3/approve`).expect(200)).body).toMatchObject({ status: 'AGREED', appliedAt: null });
    await repay(api.db.prisma, line, '2026-10-20', '40000.00');
    await fixing('2026-10-20', '0.0440', '2026-10-20T18:00:00Z');
    await fixing('2026-10-26', '0.0440', '2026-10-26T18:00:00Z');
    const page = await api.get(lender.admin, `/reference-rates/${sofr}/fixings?limit=3`).expect(200);
    expect(page.body.items.map((f: { effectiveDate: string; rate: string }) => [f.effectiveDate, f.rate])).toEqual([
      ['2026-10-01', '0.043'],
      ['2026-10-06', '0.0425'],
      ['2026-10-14', '0.041'],
    ]);
    const rest = await api.get(lender.admin, `/reference-rates/${sofr}/fixings?limit=3&cursor=${page.body.nextCursor}`).expect(200);
    expect(rest.body.items.map((f: { effectiveDate: string }) => f.effectiveDate)).toEqual(['2026-10-20', '2026-10-26']);
    expect(rest.body.nextCursor).toBeNull();
    expect((await api.get(seller.admin, `/reference-rates/${sofr}/fixings`)).status).toBe(404);
  });
});

describe('October through the API: exactly the hand computation', () => {
  beforeAll(async () => {
    now = new Date('2026-11-01T00:30:00Z');
    // The nightly run, day by day: it also brings version 3 into force on the line (applied) on its way.
    for (const date of datesFromTo('2026-10-01', '2026-10-31')) await accrueDate(api.db.prisma, date, { now });
  });

  test("each day's principal, fixing, spread and rate, stale days flagged", async () => {
    const accruals = await api.get(seller.admin, `/credit-lines/${line.id}/accruals?from=2026-10-01&to=2026-10-31`).expect(200);
    type Row = { accrualDate: string; outstandingPrincipal: { amount: string }; fixing: { effectiveDate: string; rate: string } | null; annualInterestRate: string; termsVersionNo: number; rateFlag: string | null; exactInterest: { amount: string }; carriedOut: { amount: string; currency: string } };
    const rows = accruals.body.items as Row[];
    const days = (from: string, to: string, principal: string, fixingOf: string, fixingRate: string, rate: string, version: number, flag: string | null, exact: string) =>
      datesFromTo(from, to).map((date) => [date, principal, fixingOf, fixingRate, rate, version, flag, exact]);
    expect(rows.map((row) => [row.accrualDate, row.outstandingPrincipal.amount, row.fixing?.effectiveDate, row.fixing?.rate, row.annualInterestRate, row.termsVersionNo, row.rateFlag, row.exactInterest.amount])).toEqual([
      ...days('2026-10-01', '2026-10-05', '100000.00', '2026-10-01', '0.043', '0.063', 2, null, '17.5'),
      ...days('2026-10-06', '2026-10-11', '100000.00', '2026-10-06', '0.0425', '0.0625', 2, null, '17.361111111111111111'),
      ...days('2026-10-12', '2026-10-13', '100000.00', '2026-10-06', '0.0425', '0.0625', 2, 'STALE_FIXING', '17.361111111111111111'),
      ...days('2026-10-14', '2026-10-15', '100000.00', '2026-10-14', '0.041', '0.061', 2, null, '16.944444444444444444'),
      ...days('2026-10-16', '2026-10-19', '100000.00', '2026-10-14', '0.041', '0.056', 3, null, '15.555555555555555556'),
      ...days('2026-10-20', '2026-10-25', '60000.00', '2026-10-20', '0.044', '0.059', 3, null, '9.833333333333333333'),
      ...days('2026-10-26', '2026-10-31', '60000.00', '2026-10-26', '0.044', '0.059', 3, null, '9.833333333333333333'),
    ]);
    // Σ exact of the table, and what is left after posting 440.50.
    expect(rows.reduce((sum, row) => sum.plus(row.exactInterest.amount), new D(0)).toFixed()).toBe('440.499999999999999996');
    expect(rows.at(-1)?.carriedOut).toEqual({ amount: '-0.000000000000000004', currency: 'USD' });
  });

  test('what the month posted: 440.50, the hand total rounded once', async () => {
    const balances = await api.get(seller.admin, `/credit-lines/${line.id}/ledger/balances`).expect(200);
    const balance = (code: string) => balances.body.accounts.find((a: { code: string }) => a.code === code).balance.amount;
    expect([balance('INTEREST_RECEIVABLE'), balance('INTEREST_INCOME'), balance('LOAN_PRINCIPAL')]).toEqual(['440.50', '440.50', '60000.00']);
  });

  test("today's terms are version 3, and the statement shows both changes of October", async () => {
    expect((await api.get(seller.admin, `/credit-lines/${line.id}`).expect(200)).body.terms.floatingRate).toEqual({ referenceRateId: sofr, spread: '0.015', floor: '0' });
    const statement = await api.get(seller.admin, `/credit-lines/${line.id}/statement?from=2026-10-01&to=2026-10-31`).expect(200);
    expect(statement.body.termsChanges.map((change: { versionNo: number; effectiveFrom: string; changedFields: string[]; worsenings: string[] }) => [change.versionNo, change.effectiveFrom, change.changedFields, change.worsenings])).toEqual([
      [2, '2026-10-01', ['floatingRate'], ['floatingRate']],
      [3, '2026-10-16', ['floatingRate'], []],
    ]);
  });
});
