/**
 * A sale's payments are never cut off silently: GET /sales/{id} embeds the
 * first SALE_PAYMENTS_EMBEDDED_MAX and says when there are more (with a link),
 * and GET /sales/{id}/payments pages through all of them with a cursor.
 */
import { SALE_PAYMENTS_EMBEDDED_MAX } from '../../api/sales/routes';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, salesWorld, type SalesWorld } from './world';

let api: TestApi;
let temporal: HarnessTemporal;
let world: SalesWorld;
let saleId: string;
const today = isoDay(Date.now());
// One more payment than GET /sales/{id} embeds: 1.00, 2.00 … 21.00 (231.00 in all, well under the 13 000.00 price).
const amounts = Array.from({ length: 21 }, (_, i) => `${i + 1}.00`);

async function reportSale(quantity: string): Promise<string> {
  const sale = await api
    .post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
      buyerOrganisationId: world.buyer.organisationId,
      items: [{ lotId: world.lotId, quantity: { amount: quantity, unit: 'kg' } }],
      totalPrice: { amount: '13000.00', currency: 'USD' },
      paymentDueDate: isoDay(Date.now() + 10 * DAY_MS),
    })
    .expect(201);
  await temporal.settled();
  return sale.body.id as string;
}

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
  world = await salesWorld(api, { onSale: null });
  saleId = await reportSale('10000');
  for (const amount of amounts) await api.post(world.custody.lender.admin, `/sales/${saleId}/payments`, { amount: { amount, currency: 'USD' }, receivedOn: today }).expect(201);
  await temporal.settled();
}, 120_000);
afterAll(() => api.close());

describe('GET /sales/{id}', () => {
  test(`embeds the first ${SALE_PAYMENTS_EMBEDDED_MAX} payments and says, with a link, that the 21st is elsewhere`, async () => {
    expect(SALE_PAYMENTS_EMBEDDED_MAX).toBe(20);
    const res = await api.get(world.custody.seller.admin, `/sales/${saleId}`).expect(200);
    expect(res.body.payments.map((payment: { amount: { amount: string } }) => payment.amount.amount)).toEqual(amounts.slice(0, 20));
    expect(res.body.paymentsTruncated).toBe(true);
    expect(res.body.paymentsNext).toMatch(new RegExp(`^/sales/${saleId}/payments\\?cursor=[A-Za-z0-9_-]+$`));
    const rest = await api.get(world.custody.seller.admin, res.body.paymentsNext).expect(200);
    expect(rest.body.items.map((payment: { amount: { amount: string } }) => payment.amount.amount)).toEqual(['21.00']);
    expect(rest.body.nextCursor).toBeNull();
  });

  test('a sale without payments is not truncated and has no link', async () => {
    const unpaid = await reportSale('100');
    const res = await api.get(world.custody.lender.admin, `/sales/${unpaid}`).expect(200);
    expect([res.body.payments, res.body.paymentsTruncated, res.body.paymentsNext]).toEqual([[], false, null]);
  });
});

describe('GET /sales/{id}/payments', () => {
  test('pages every payment oldest first: 8 + 8 + 5 with limit 8, and a page that ends exactly at the last payment has no next cursor', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { amount: { amount: string } }[]; nextCursor: string | null } } = await api.get(world.buyer.admin, `/sales/${saleId}/payments?limit=8${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      sizes.push(res.body.items.length);
      seen.push(...res.body.items.map((payment) => payment.amount.amount));
      cursor = res.body.nextCursor;
    } while (cursor !== null && sizes.length < 10);
    expect(sizes).toEqual([8, 8, 5]);
    expect(seen).toEqual(amounts);

    const whole = await api.get(world.custody.lender.admin, `/sales/${saleId}/payments?limit=21`).expect(200);
    expect(whole.body.items).toHaveLength(21);
    expect(whole.body.nextCursor).toBeNull();
  });

  test('is refused to an organisation that is not a party (404), and a cursor of another sale is refused naming query.cursor', async () => {
    const outsider = await api.organisation('SELLER');
    const foreign = await api.get(outsider.admin, `/sales/${saleId}/payments`);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'not_found']);

    const other = await reportSale('200');
    await api.post(world.custody.lender.admin, `/sales/${other}/payments`, { amount: { amount: '5.00', currency: 'USD' }, receivedOn: today }).expect(201);
    await temporal.settled();
    const otherPage = await api.get(world.custody.lender.admin, `/sales/${other}/payments?limit=1`).expect(200);
    const otherPayment = otherPage.body.items[0].id as string;
    const cursor = Buffer.from(JSON.stringify({ afterId: otherPayment })).toString('base64url');
    const crossed = await api.get(world.custody.lender.admin, `/sales/${saleId}/payments?cursor=${cursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors.map((error: { path: string }) => error.path)).toEqual(['query.cursor']);
    const tooLarge = await api.get(world.custody.lender.admin, `/sales/${saleId}/payments?limit=201`);
    expect(tooLarge.body.errors.map((error: { path: string }) => error.path)).toEqual(['query.limit']);
  });
});
