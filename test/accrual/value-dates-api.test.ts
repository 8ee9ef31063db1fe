/**
 * Value dates of money recorded through the API (domain/value-dates.ts): not in the future, not before
 * the line opened, not before the money existed — principal repaid must have been outstanding from
 * that day on, a buyer's payment not before its sale was reported, a payout not before the seller was
 * owed it. Each refusal is a 400 naming the field and the allowed range. The API's clock is the real
 * one here, so the line's opening is moved ten days back in the database to leave days between it,
 * the disbursement and today.
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, lineBalances, postOnLine, salesWorld, type SalesWorld } from '../sales/world';

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const daysAgo = (days: number) => isoDay(Date.now() - days * DAY_MS);
const today = daysAgo(0);

/** Opened ten days ago; 12 000.00 disbursed five days ago; 120.00 interest today. */
async function lineWithPrincipal(): Promise<SalesWorld> {
  const world = await salesWorld(api, { onSale: null });
  await api.db.sql(`UPDATE credit_line SET created_at = $2::date::timestamp AT TIME ZONE 'UTC' WHERE id = $1`, [world.line.id, daysAgo(10)]);
  await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '12000.00', effectiveDate: daysAgo(5), description: 'Draw disbursed' });
  await postOnLine(api, world, { debit: 'INTEREST_RECEIVABLE', credit: 'INTEREST_INCOME', amount: '120.00', effectiveDate: today, description: 'Interest accrued' });
  return world;
}

function expectRefusal(body: { status: number; errors?: { path: string; reason: string }[] }, path: string, reason: RegExp) {
  expect(body.status).toBe(400);
  expect(body.errors).toEqual([{ path, reason: expect.stringMatching(reason) }]);
}

test('a repayment cannot be dated in the future, before the line opened, or before the principal it repays was disbursed', async () => {
  const world = await lineWithPrincipal();
  const path = `/credit-lines/${world.line.id}/repayments`;
  const lender = world.custody.lender.admin;
  const before = await lineBalances(api, world);

  const future = await api.post(lender, path, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: daysAgo(-1) }).expect(400);
  expectRefusal(future.body, 'body.receivedOn', new RegExp(`^is ${daysAgo(-1)}, in the future; money can be dated from ${daysAgo(10)} \\(credit line ${world.line.id} opened\\) to ${today} \\(today\\)$`));

  const beforeOpening = await api.post(lender, path, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: daysAgo(11) }).expect(400);
  expectRefusal(beforeOpening.body, 'body.receivedOn', new RegExp(`^is ${daysAgo(11)}, before credit line ${world.line.id} opened \\(${daysAgo(10)}\\)`));

  // 5 000.00 pays 120.00 interest and 4 880.00 principal; that principal was disbursed five days ago.
  const beforeDisbursement = await api.post(lender, path, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: daysAgo(7) }).expect(400);
  expectRefusal(beforeDisbursement.body, 'body.receivedOn', new RegExp(`^is ${daysAgo(7)}, before 4\\s?880\\.00 USD of principal it repays existed \\(${daysAgo(5)}\\); money can be dated from ${daysAgo(5)}`));

  expect(await lineBalances(api, world)).toEqual(before);
  const onTheDay = await api.post(lender, path, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: daysAgo(5) }).expect(201);
  expect(onTheDay.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '4880.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
});

test("a buyer's payment cannot be dated before its sale was reported, and a payout not before the seller was owed it", async () => {
  const world = await lineWithPrincipal();
  const lender = world.custody.lender.admin;
  const sale = await api
    .post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
      buyerOrganisationId: world.buyer.organisationId,
      items: [{ lotId: world.lotId, quantity: { amount: '10000', unit: 'kg' } }],
      totalPrice: { amount: '13000.00', currency: 'USD' },
      paymentDueDate: isoDay(Date.now() + 10 * DAY_MS),
    })
    .expect(201);
  await temporal.settled();

  const early = await api.post(lender, `/sales/${sale.body.id}/payments`, { amount: { amount: '13000.00', currency: 'USD' }, receivedOn: daysAgo(1) }).expect(400);
  expectRefusal(early.body, 'body.receivedOn', new RegExp(`^is ${daysAgo(1)}, before sale ${sale.body.id} was reported \\(${today}\\)`));
  const paid = await api.post(lender, `/sales/${sale.body.id}/payments`, { amount: { amount: '13000.00', currency: 'USD' }, receivedOn: today }).expect(201);
  await temporal.settled();
  expect(paid.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '12000.00', currency: 'USD' }, toSeller: { amount: '880.00', currency: 'USD' } });

  // The seller is owed 880.00 from today, when the buyer's payment arrived.
  const payoutPath = `/credit-lines/${world.line.id}/seller-payouts`;
  const tooEarly = await api.post(lender, payoutPath, { amount: { amount: '880.00', currency: 'USD' }, paidOn: daysAgo(2) }).expect(400);
  expectRefusal(tooEarly.body, 'body.paidOn', new RegExp(`^is ${daysAgo(2)}, before 880\\.00 USD of proceeds owed to the seller existed \\(${today}\\)`));
  const future = await api.post(lender, payoutPath, { amount: { amount: '880.00', currency: 'USD' }, paidOn: daysAgo(-3) }).expect(400);
  expectRefusal(future.body, 'body.paidOn', /in the future/);
  await api.post(lender, payoutPath, { amount: { amount: '880.00', currency: 'USD' }, paidOn: today }).expect(201);
});
