/**
 * An amount in another currency than the one it is owed in is refused the
 * same way on every route that takes money: 422 currency_mismatch, naming the
 * field that carried the currency, and nothing is written. (On main a draw
 * answered 422 with no field, a sale 400 naming body.currency, and payments,
 * repayments and payouts took no currency at all.)
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, postOnLine, salesWorld, type SalesWorld } from '../sales/world';

let api: TestApi;
let world: SalesWorld;
let saleId: string;
const today = isoDay(Date.now());
const inEuro = (amount: string) => ({ amount, currency: 'EUR' });

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }) });
  world = await salesWorld(api);
  await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '1000.00', effectiveDate: isoDay(Date.now() - DAY_MS), description: 'Draw disbursed' });
  const sale = await api
    .post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
      buyerOrganisationId: world.buyer.organisationId,
      items: [{ lotId: world.lotId, quantity: { amount: '100', unit: 'kg' } }],
      totalPrice: { amount: '130.00', currency: 'USD' },
      paymentDueDate: isoDay(Date.now() + DAY_MS),
    })
    .expect(201);
  saleId = sale.body.id as string;
});
afterAll(() => api.close());

test.each([
  ['a draw', 'body.amount.currency', () => api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/draws`, { amount: inEuro('10.00') })],
  [
    'a sale priced per unit',
    'body.pricePerUnit.currency',
    () =>
      api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
        buyerOrganisationId: world.buyer.organisationId,
        items: [{ lotId: world.lotId, quantity: { amount: '1', unit: 'kg' } }],
        pricePerUnit: { amount: '1.30', currency: 'EUR', unit: 'kg' },
        paymentDueDate: isoDay(Date.now() + DAY_MS),
      }),
  ],
  [
    'a sale priced in total',
    'body.totalPrice.currency',
    () =>
      api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
        buyerOrganisationId: world.buyer.organisationId,
        items: [{ lotId: world.lotId, quantity: { amount: '1', unit: 'kg' } }],
        totalPrice: inEuro('1.30'),
        paymentDueDate: isoDay(Date.now() + DAY_MS),
      }),
  ],
  ['a buyer payment', 'body.amount.currency', () => api.post(world.custody.lender.admin, `/sales/${saleId}/payments`, { amount: inEuro('10.00'), receivedOn: today })],
  ['a direct repayment', 'body.amount.currency', () => api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/repayments`, { amount: inEuro('10.00'), receivedOn: today })],
  ['a seller payout', 'body.amount.currency', () => api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/seller-payouts`, { amount: inEuro('10.00'), paidOn: today })],
] as const)('%s in EUR on a USD line is 422 currency_mismatch naming %s, nothing written', async (_what, path, send) => {
  const counts = async () => [await api.db.prisma.draw.count(), await api.db.prisma.sale.count(), await api.db.prisma.repayment.count(), await api.db.prisma.sellerPayout.count()];
  const before = await counts();
  const res = await send();
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ code: 'currency_mismatch', errors: [{ path }] });
  expect(res.body.errors[0].reason).toMatch(/^is EUR; .* is in USD$/);
  expect(await counts()).toEqual(before);
});

test('an amount with more places than its currency has is a 400 naming the amount, whatever the route', async () => {
  const res = await api.post(world.custody.lender.admin, `/credit-lines/${world.line.id}/repayments`, { amount: { amount: '10.001', currency: 'USD' }, receivedOn: today });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ path: 'body.amount.amount', reason: "has more decimal places than its currency's ISO 4217 scale (CNY and USD 2, JPY 0, KWD 3)" }]);
});
