/**
 * A line's accrual history through the API (GET /credit-lines/{lineId}/accruals): one row per accrued
 * day, oldest first, paged and filtered by accrual date, for the line's lender and seller only; its
 * postings add up to the interest receivable the ledger holds.
 *
 * 36 000.00 USD drawn on 2026-10-01 at 12 % ACT/360: 36 000 × 0.12 / 360 = 12.00 a day; 3 600.00 more
 * drawn on 2026-10-04: 39 600 × 0.12 / 360 = 13.20 a day. Five days: 3 × 12.00 + 2 × 13.20 = 62.40.
 */
import { ok } from '../../client';
import { accrueLineDay, datesFromTo } from '../../prisma/accrual/store';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { CLOCK, draw, openLine, type AccruingLine } from './factories';

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;
let line: AccruingLine;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
  line = await openLine(api.db.prisma, { lenderOrganisationId: lender.organisationId, sellerOrganisationId: seller.organisationId }, { openedOn: '2026-10-01' });
  await draw(api.db.prisma, line, '2026-10-01', '36000.00');
  await draw(api.db.prisma, line, '2026-10-04', '3600.00');
  for (const date of datesFromTo('2026-10-01', '2026-10-05')) await accrueLineDay(api.db.prisma, line.id, date, CLOCK);
});
afterAll(() => api.close());

interface AccrualItem {
  accrualDate: string;
  outstandingPrincipal: { amount: string; currency: string };
  postedInterest: { amount: string; currency: string };
  carriedOut: { amount: string; currency: string };
  ledgerEntryId: string | null;
}

test('pages through every accrued day oldest first, with the principal and interest of each', async () => {
  // Through the typed client: the accrual history and the balances as the OpenAPI document types them.
  const sellerClient = api.client(seller.admin);
  const readPage = (after: string | null) =>
    ok(sellerClient.GET('/credit-lines/{lineId}/accruals', { params: { path: { lineId: line.id }, query: { limit: 2, ...(after ? { cursor: after } : {}) } } }));
  const pages: AccrualItem[][] = [];
  let cursor: string | null = null;
  do {
    const page = await readPage(cursor);
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 10);
  expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
  const days = pages.flat();
  expect(days.map((day) => [day.accrualDate, day.outstandingPrincipal.amount, day.postedInterest.amount, day.carriedOut.amount])).toEqual([
    ['2026-10-01', '36000.00', '12.00', '0'],
    ['2026-10-02', '36000.00', '12.00', '0'],
    ['2026-10-03', '36000.00', '12.00', '0'],
    ['2026-10-04', '39600.00', '13.20', '0'],
    ['2026-10-05', '39600.00', '13.20', '0'],
  ]);
  expect(days.every((day) => day.ledgerEntryId !== null && day.postedInterest.currency === 'USD')).toBe(true);

  // What the days posted is what the ledger holds: 3 × 12.00 + 2 × 13.20 = 62.40.
  const balances = await ok(api.client(lender.admin).GET('/credit-lines/{lineId}/ledger/balances', { params: { path: { lineId: line.id } } }));
  const receivable = balances.accounts.find((a) => a.code === 'INTEREST_RECEIVABLE');
  expect(receivable).toMatchObject({ normalBalance: 'DEBIT', balance: { amount: '62.40', currency: 'USD' } });
});

test('filters by accrual date, both ends inclusive; other organisations do not see the line', async () => {
  const res = await api.get(lender.admin, `/credit-lines/${line.id}/accruals?from=2026-10-03&to=2026-10-04`).expect(200);
  expect((res.body.items as AccrualItem[]).map((day) => day.accrualDate)).toEqual(['2026-10-03', '2026-10-04']);
  expect(res.body.nextCursor).toBeNull();
  expect((await api.get(lender.admin, `/credit-lines/${line.id}/accruals?from=2026-10-06`).expect(200)).body.items).toEqual([]);
  const refused = await api.get(lender.admin, `/credit-lines/${line.id}/accruals?from=2026-10-05&to=2026-10-01`).expect(400);
  expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.to']);
  const stranger = await api.organisation('LENDER');
  expect((await api.get(stranger.admin, `/credit-lines/${line.id}/accruals`)).status).toBe(404);
});
