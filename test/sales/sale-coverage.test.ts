/**
 * Found by the whole-system simulation (seed 99, `Concurrently(ReportSale(lot #0, 0.75 of it at
 * 0.30/kg), Unpledge(lot #0))`): sold goods secure the line at the lower of the mark and the sale
 * price, so a sale below the mark lowers the borrowing base. A sale is a voluntary change: like an
 * unpledge or a split it may not leave the line short (prisma/custody/coverage.ts).
 *
 * salesWorld: 20 000 kg × 1.20 USD × (1 − 0) × 0.5 = 12 000.00 borrowing base; 10 000.00 principal
 * put on the line: availability 2 000.00.
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, postOnLine, salesWorld } from './world';

jest.setTimeout(120_000);

let api: TestApi;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }) });
});
afterAll(() => api.close());

test('a sale below the mark that would leave the line short is refused, nothing written; one that leaves it at exactly 0 is reported', async () => {
  const world = await salesWorld(api);
  await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '10000.00', effectiveDate: isoDay(Date.now() - DAY_MS), description: 'Draw disbursed' });
  const availability = async () => (await api.get(world.custody.lender.admin, `/credit-lines/${world.line.id}/borrowing-base?view=totals`).expect(200)).body.totals.availability.amount;
  expect(await availability()).toBe('2000.00');
  const sell = (quantity: string, pricePerUnit: string) =>
    api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
      buyerOrganisationId: world.buyer.organisationId,
      items: [{ lotId: world.lotId, quantity: { amount: quantity, unit: 'kg' } }],
      pricePerUnit: { amount: pricePerUnit, currency: 'USD', unit: 'kg' },
      paymentDueDate: isoDay(Date.now() + 5 * DAY_MS),
    });

  // All 20 000 kg at 0.50: 20 000 × 0.50 × 0.5 = 5 000.00 borrowing base; 5 000.00 − 10 000.00 = −5 000.00.
  const short = await sell('20000', '0.50');
  expect([short.status, short.body.code]).toEqual([422, 'coverage_insufficient']);
  expect((await api.db.sql<{ n: string }>(`SELECT count(*)::text AS n FROM sale`))[0].n).toBe('0');
  expect(await availability()).toBe('2000.00');

  // 10 000 kg at 0.80: (10 000 × 1.20 + 10 000 × 0.80) × 0.5 = 10 000.00; availability exactly 0.00.
  await sell('10000', '0.80').expect(201);
  expect(await availability()).toBe('0.00');
});
