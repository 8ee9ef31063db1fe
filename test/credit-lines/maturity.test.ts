/**
 * Maturity through the API: from the maturity date no draw (422 naming it), availability says MATURED, what is
 * owed is due; a renewal — an amendment that moves the maturity later — lifts the block.
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { drawLine, usd, type DrawLine } from '../draws/factories';

let api: TestApi;
let temporal: HarnessTemporal;
let line: DrawLine;
const today = new Date().toISOString().slice(0, 10);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
  line = await drawLine(api);
});
afterAll(() => api.close());

async function amendMaturity(maturityDate: string, sellerAccepts: boolean) {
  const proposed = await api.post(line.world.lender.admin, `/credit-lines/${line.lineId}/terms`, { effectiveFrom: today, terms: { maturityDate } }).expect(201);
  await api.post(line.approverA, `/credit-lines/${line.lineId}/terms/${proposed.body.versionNo}/approve`).expect(200);
  if (sellerAccepts) await api.post(line.world.seller.admin, `/credit-lines/${line.lineId}/terms/${proposed.body.versionNo}/accept`).expect(200);
  return proposed.body as { versionNo: number; worsenings: string[] };
}

async function totals() {
  return (await api.get(line.world.seller.admin, `/credit-lines/${line.lineId}/borrowing-base?view=totals`).expect(200)).body.totals;
}

test('a maturity moved to today (earlier: the seller accepts) stops draws today, and availability says why', async () => {
  // 10 000 kg × 3.125 × (1 − 0.2) × 0.5 = 12 500.00 of borrowing base, nothing drawn.
  expect(await totals()).toMatchObject({ availability: usd('12500.00'), noAvailabilityReason: null });
  const amendment = await amendMaturity(today, true);
  expect(amendment.worsenings).toEqual(['maturityDate']);

  const refused = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
  expect([refused.status, refused.body.code]).toEqual([422, 'credit_line_matured']);
  expect(refused.body.detail).toBe(
    `credit line ${line.lineId} matures on ${today}; no draws from its maturity date (the date is ${today}), when everything owed is due — a renewal (an amendment of maturityDate) lifts this`,
  );
  expect(await api.db.prisma.draw.count({ where: { creditLineId: line.lineId } })).toBe(0);
  expect(await totals()).toMatchObject({ availability: usd('0.00'), noAvailabilityReason: 'MATURED' });

  const delinquency = await api.get(line.world.lender.admin, `/credit-lines/${line.lineId}/delinquency`).expect(200);
  expect(delinquency.body).toMatchObject({
    maturityDate: today,
    matured: true,
    dueAtMaturity: { dueDate: today, principal: usd('0.00'), interest: usd('0.00'), fees: usd('0.00'), total: usd('0.00') },
    amountDue: usd('0.00'),
    daysPastDue: 0,
    bucket: 'CURRENT',
    overdue: false,
  });
});

test('a renewal — the maturity moved later, better for the seller, agreed on approval — lifts the block', async () => {
  const renewal = await amendMaturity(inDays(90), false);
  expect(renewal.worsenings).toEqual([]);
  expect(await totals()).toMatchObject({ availability: usd('12500.00'), noAvailabilityReason: null });
  const accepted = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
  expect(accepted.status).toBe(201);
  const delinquency = await api.get(line.world.seller.admin, `/credit-lines/${line.lineId}/delinquency`).expect(200);
  expect(delinquency.body).toMatchObject({ maturityDate: inDays(90), matured: false, dueAtMaturity: null, amountDue: null, daysPastDue: 0 });
});

test('the delinquency of a line is its parties’ only, and the portfolio its lender’s only', async () => {
  expect((await api.get(line.world.warehouse.admin, `/credit-lines/${line.lineId}/delinquency`)).status).toBe(404);
  const asSeller = await api.get(line.world.seller.admin, '/portfolio/delinquency');
  expect([asSeller.status, asSeller.body.detail]).toEqual([403, "a portfolio's delinquency is its lender's; your organisation is a SELLER"]);
});
