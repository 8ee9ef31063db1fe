/**
 * Each role finds everything it must act on through list endpoints alone, starting from nothing but
 * its own API key (no id learned out of band): the warehouse its sellers and its release-order queue,
 * the seller its lender, warehouses, buyers and repayments, the lender its pending draws and margin
 * calls across lines — and checks that every line nets to zero. A second, foreign book exists beside
 * it; nothing of it ever appears, whatever the filters. Figures are in ./world.ts.
 */
import { D } from '../../domain/money';
import { createTestApi, type TestApi, type TestUser } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { tradingWorld, type TradingWorld } from './world';

let api: TestApi;
let harness: HarnessTemporal;
let home: TradingWorld;
let foreign: TradingWorld;

beforeAll(async () => {
  api = await createTestApi({ temporal: (url) => (harness = new HarnessTemporal({ databaseUrl: url })), poolMax: 10 });
  home = await tradingWorld(api, harness);
  foreign = await tradingWorld(api, harness);
}, 180_000);
afterAll(() => api.close());

type Item = Record<string, unknown> & { id: string };

/** Every item of a list, page after page (at most 50 pages), following nextCursor only. */
async function everything(user: TestUser, path: string, limit = 2): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages += 1) {
    const separator = path.includes('?') ? '&' : '?';
    const res = await api.get(user, `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body.items as Item[]));
    cursor = res.body.nextCursor as string | null;
    if (cursor === null) return items;
  }
  throw new Error(`GET ${path} did not end within 50 pages`);
}

const ids = (items: Item[]) => items.map((item) => item.id).sort();
const sorted = (...values: string[]) => [...values].sort();

describe('the warehouse', () => {
  test('finds the sellers whose goods it may receive, its release-order queue and the sale each order names, and empties the queue', async () => {
    const operator = home.warehouse.admin;
    const sellers = await everything(operator, '/organisations?kind=SELLER');
    expect(ids(sellers)).toEqual(sorted(home.seller.organisationId, home.seller2.organisationId));
    expect(sellers.find((s) => s.id === home.seller.organisationId)?.relationships).toEqual(['APPROVED_WAREHOUSE', 'CUSTODY']);
    const lenders = await everything(operator, '/organisations?kind=LENDER');
    expect(lenders.map((l) => [l.id, l.relationships])).toEqual([[home.lender.organisationId, ['ONBOARDED_YOU']]]);
    expect(ids(await everything(operator, '/warehouses'))).toEqual([home.warehouseId]);

    const queue = await everything(operator, '/release-orders?status=OPEN');
    expect(queue).toHaveLength(1);
    const [order] = queue;
    expect(order).toMatchObject({ lotId: home.lot2, kind: 'LENDER_AUTHORISATION', creditLineId: home.line2, saleId: home.saleId, quantityAuthorised: { amount: '1000', unit: 'kg' }, quantityReleased: { amount: '0', unit: 'kg' }, status: 'OPEN' });

    // The sale the order names: its goods and who collects them, not the buyer's payments.
    const sale = await api.get(operator, `/sales/${home.saleId}`).expect(200);
    expect(sale.body).toMatchObject({ id: home.saleId, buyerOrganisationId: home.buyer.organisationId, status: 'RELEASE_AUTHORISED', payments: [] });
    expect(sale.body.items).toEqual([expect.objectContaining({ lotId: home.lot2, quantity: { amount: '1000', unit: 'kg' }, releaseOrderId: order.id })]);
    // The lender still sees the payments on the same sale.
    expect((await api.get(home.lender.admin, `/sales/${home.saleId}`).expect(200)).body.payments.map((p: Item) => p.id)).toEqual([home.salePaymentId]);

    await api.post(operator, `/release-orders/${order.id}/confirmations`, { quantity: { amount: '1000', unit: 'kg' }, releasedAt: new Date().toISOString() }).expect(201);
    expect(await everything(operator, '/release-orders?status=OPEN')).toEqual([]);
    expect(ids(await everything(operator, '/release-orders?status=COMPLETED'))).toEqual([order.id]);
    // A warehouse holding none of a sale's goods does not learn that the sale exists.
    expect((await api.get(foreign.warehouse.admin, `/sales/${home.saleId}`)).status).toBe(404);
  });
});

describe('the seller', () => {
  test('finds its lender, its warehouse, the buyers it may sell to and its repayments, and only its own draws and margin calls', async () => {
    const seller = home.seller.admin;
    const related = await everything(seller, '/organisations');
    expect(related.map((o) => [o.id, o.kind, o.relationships]).sort()).toEqual(
      [
        [home.lender.organisationId, 'LENDER', ['CREDIT_LINE', 'ONBOARDED_YOU']],
        [home.warehouse.organisationId, 'WAREHOUSE', ['APPROVED_WAREHOUSE', 'CUSTODY']],
        [home.buyer.organisationId, 'BUYER', ['BUYER_OF_YOUR_LENDER']],
      ].sort(),
    );
    expect(ids(await everything(seller, '/warehouses'))).toEqual([home.warehouseId]);

    const repayments = await everything(seller, '/repayments');
    expect(repayments).toEqual([
      expect.objectContaining({ id: home.repaymentId, creditLineId: home.line1, kind: 'DIRECT_REPAYMENT', amount: { amount: '500.00', currency: 'USD' }, allocation: { fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '500.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } } }),
    ]);
    expect(ids(await everything(seller, '/draws'))).toEqual([home.draw1]);
    const calls = await everything(seller, '/margin-calls?status=OPEN');
    expect(calls.map((call) => call.creditLineId)).toEqual([home.line1]);
    // 9 500.00 outstanding against 10 000 kg × 1.80 × 0.8 = 14 400.00
    expect(calls[0]).toMatchObject({ outstandingPrincipal: { amount: '9500.00', currency: 'USD' }, collateralValue: { amount: '14400.00', currency: 'USD' } });
    expect(ids(await everything(seller, '/lots'))).toEqual([home.lot1]);
  });

  test("the other seller of the same lender finds its sale, the sale's payment and the release order, and nothing of the first seller", async () => {
    const seller = home.seller2.admin;
    expect(ids(await everything(seller, '/sales'))).toEqual([home.saleId]);
    expect(ids(await everything(seller, '/repayments?kind=SALE_PAYMENT'))).toEqual([home.salePaymentId]);
    expect(await everything(seller, '/repayments?kind=DIRECT_REPAYMENT')).toEqual([]);
    expect(ids(await everything(seller, '/draws?status=REQUESTED'))).toEqual([home.draw2]);
    expect((await everything(seller, '/release-orders')).map((o) => o.saleId)).toEqual([home.saleId]);
    const related = await everything(seller, '/organisations?kind=BUYER');
    expect(related.map((o) => [o.id, o.relationships])).toEqual([[home.buyer.organisationId, ['BUYER_OF_YOUR_LENDER', 'SALE']]]);
  });
});

describe('the buyer', () => {
  test('finds its purchase and who it bought from', async () => {
    expect(ids(await everything(home.buyer.admin, '/sales'))).toEqual([home.saleId]);
    const related = await everything(home.buyer.admin, '/organisations');
    expect(related.map((o) => [o.id, o.relationships]).sort()).toEqual(
      [
        [home.lender.organisationId, ['ONBOARDED_YOU']],
        [home.seller2.organisationId, ['SALE']],
      ].sort(),
    );
    expect(await everything(home.buyer.admin, '/draws')).toEqual([]);
  });
});

describe('the lender', () => {
  test('finds its counterparts, its pending draws and its open margin calls across lines, and every payment', async () => {
    const approver = home.approver;
    const counterparts = await everything(approver, '/organisations');
    expect(ids(counterparts)).toEqual(sorted(home.seller.organisationId, home.seller2.organisationId, home.warehouse.organisationId, home.buyer.organisationId));
    expect(counterparts.every((o) => (o.relationships as string[]).includes('ONBOARDED_BY_YOU'))).toBe(true);
    expect(ids(await everything(approver, '/warehouses'))).toEqual([home.warehouseId]);

    const pending = await everything(approver, '/draws?status=REQUESTED');
    expect(pending.map((d) => [d.id, d.creditLineId, d.amount]).sort()).toEqual(
      [
        [home.draw1, home.line1, { amount: '1000.00', currency: 'USD' }],
        [home.draw2, home.line2, { amount: '400.00', currency: 'USD' }],
      ].sort(),
    );
    // Acting on what it found: the approver approves the first draw it was shown.
    await api.post(approver, `/draws/${pending[0].id}/approve`, {}).expect(200);

    const calls = await everything(approver, '/margin-calls?status=OPEN');
    expect(calls.map((c) => c.creditLineId).sort()).toEqual(sorted(home.line1, home.line2));
    // Line 2: 12 000 − 3 125 = 8 875.00 outstanding against the 9 000 kg not sold: 9 000 × 1.80 × 0.8 = 12 960.00
    expect(calls.find((c) => c.creditLineId === home.line2)).toMatchObject({ status: 'OPEN', outstandingPrincipal: { amount: '8875.00', currency: 'USD' }, collateralValue: { amount: '12960.00', currency: 'USD' } });
    expect(await everything(approver, '/margin-calls?status=LIQUIDATING')).toEqual([]);

    expect(ids(await everything(approver, '/repayments'))).toEqual(sorted(home.repaymentId, home.salePaymentId));
    expect(ids(await everything(approver, `/repayments?creditLineId=${home.line2}`))).toEqual([home.salePaymentId]);
    expect(ids(await everything(approver, `/sales?creditLineId=${home.line2}&buyerOrganisationId=${home.buyer.organisationId}`))).toEqual([home.saleId]);
    expect(await everything(approver, `/sales?creditLineId=${home.line1}`)).toEqual([]);
    expect(await everything(approver, '/sales?status=LAPSED')).toEqual([]);
    expect(ids(await everything(approver, `/lots?creditLineId=${home.line1}`))).toEqual([home.lot1]);
  });

  test('checks through the API that every line nets to zero: Σ DEBIT-normal balances = Σ CREDIT-normal balances', async () => {
    const lines = await everything(home.lender.admin, '/credit-lines');
    expect(ids(lines)).toEqual(sorted(home.line1, home.line2));
    for (const line of lines) {
      const res = await api.get(home.lender.admin, `/credit-lines/${line.id}/ledger/balances`).expect(200);
      const accounts = res.body.accounts as { code: string; normalBalance: 'DEBIT' | 'CREDIT'; balance: { amount: string } }[];
      const total = (side: string) => accounts.filter((a) => a.normalBalance === side).reduce((sum, a) => sum.plus(a.balance.amount), new D(0));
      expect(total('DEBIT').minus(total('CREDIT')).isZero()).toBe(true);
      expect(total('DEBIT').isZero()).toBe(false);
    }
    // Line 1 by hand: Dr principal 9 500.00 + Dr collection 500.00 = Cr lender funding 10 000.00
    const line1 = await api.get(home.lender.admin, `/credit-lines/${home.line1}/ledger/balances`).expect(200);
    const nonZero = (line1.body.accounts as { code: string; normalBalance: string; balance: { amount: string } }[])
      .filter((a) => a.balance.amount !== '0.00')
      .map((a) => [a.code, a.normalBalance, a.balance.amount]);
    expect(nonZero).toEqual([
      ['COLLECTION', 'DEBIT', '500.00'],
      ['LENDER_FUNDING', 'CREDIT', '10000.00'],
      ['LOAN_PRINCIPAL', 'DEBIT', '9500.00'],
    ]);
  });
});

describe('notifications, audit and price marks', () => {
  const day = () => new Date().toISOString().slice(0, 10);
  const dayAfter = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  test('filter by kind, subject, action, target and period as well', async () => {
    const warehouse = home.warehouse.admin;
    const told = (await api.get(warehouse, '/notifications?kind=sale.release_authorised').expect(200)).body.items as Item[];
    expect(told.map((n) => [n.subjectType, n.subjectId])).toEqual([['sale', home.saleId]]);
    expect((await api.get(warehouse, `/notifications?subjectId=${home.saleId}&kind=sale.release_authorised`).expect(200)).body.items).toHaveLength(1);
    expect((await api.get(warehouse, `/notifications?subjectId=${foreign.saleId}`).expect(200)).body.items).toEqual([]);
    expect((await api.get(warehouse, `/notifications?from=${dayAfter()}`).expect(200)).body.items).toEqual([]);

    const lender = home.lender.admin;
    const offers = (await api.get(lender, `/audit?action=credit_line.offer&targetId=${home.line1}`).expect(200)).body.items as { action: string; targetId: string }[];
    expect(offers.map((a) => [a.action, a.targetId])).toEqual([['credit_line.offer', home.line1]]);
    const lineAudit = (await api.get(lender, '/audit?targetType=credit_line&limit=200').expect(200)).body.items as { targetType: string; targetId: string }[];
    expect(new Set(lineAudit.map((a) => a.targetId))).toEqual(new Set([home.line1, home.line2]));
    expect((await api.get(lender, `/audit?from=${dayAfter()}`).expect(200)).body.items).toEqual([]);

    const marks = (await api.get(lender, `/price-marks?commodityCode=${home.commodityCode}&from=${day()}&to=${day()}`).expect(200)).body.items as { pricePerUnit: { amount: string; currency: string; unit: string } }[];
    expect(marks.map((m) => m.pricePerUnit)).toEqual([
      { amount: '1.8', currency: 'USD', unit: 'kg' },
      { amount: '3.125', currency: 'USD', unit: 'kg' },
    ]);
    expect((await api.get(lender, `/price-marks?commodityCode=${home.commodityCode}&from=${dayAfter()}`).expect(200)).body.items).toEqual([]);
    expect((await api.get(lender, '/price-marks?from=2026-12-31&to=2026-01-01')).status).toBe(400);
  });
});

describe('tenant isolation', () => {
  const lists = ['/organisations', '/warehouses', '/lots', '/release-orders', '/draws', '/sales', '/repayments', '/seller-payouts', '/margin-calls'];

  test("no list ever shows a foreign book's items, to any role", async () => {
    const foreignIds = new Set([
      foreign.lender.organisationId,
      foreign.seller.organisationId,
      foreign.seller2.organisationId,
      foreign.warehouse.organisationId,
      foreign.buyer.organisationId,
      foreign.warehouseId,
      foreign.lot1,
      foreign.lot2,
      foreign.draw1,
      foreign.draw2,
      foreign.saleId,
      foreign.repaymentId,
      foreign.salePaymentId,
    ]);
    for (const user of [home.lender.admin, home.seller.admin, home.seller2.admin, home.warehouse.admin, home.buyer.admin]) {
      for (const path of lists) {
        const seen = await everything(user, path, 100);
        expect({ path, leaked: seen.filter((item) => foreignIds.has(item.id) || [item.creditLineId, item.lotId].some((id) => id === foreign.line1 || id === foreign.line2 || id === foreign.lot2)) }).toEqual({ path, leaked: [] });
      }
    }
  });

  test('a filter naming a foreign line, warehouse, lot, buyer or organisation narrows to nothing rather than widening', async () => {
    const lender = home.lender.admin;
    const filtered = [
      `/draws?creditLineId=${foreign.line1}`,
      `/sales?creditLineId=${foreign.line2}`,
      `/sales?buyerOrganisationId=${foreign.buyer.organisationId}`,
      `/repayments?creditLineId=${foreign.line1}`,
      `/repayments?saleId=${foreign.saleId}`,
      `/seller-payouts?creditLineId=${foreign.line1}`,
      `/margin-calls?creditLineId=${foreign.line1}`,
      `/release-orders?warehouseId=${foreign.warehouseId}`,
      `/release-orders?lotId=${foreign.lot2}`,
      `/release-orders?creditLineId=${foreign.line2}`,
      `/lots?creditLineId=${foreign.line1}`,
      `/lots?warehouseId=${foreign.warehouseId}`,
      `/warehouses?organisationId=${foreign.warehouse.organisationId}`,
    ];
    for (const path of filtered) expect({ path, items: (await api.get(lender, path).expect(200)).body.items }).toEqual({ path, items: [] });
    expect((await api.get(home.warehouse.admin, `/release-orders?warehouseId=${foreign.warehouseId}`).expect(200)).body.items).toEqual([]);
    expect((await api.get(home.seller.admin, `/credit-lines/${foreign.line1}/accruals`)).status).toBe(404);
    // A cursor taken from a foreign list positions nothing foreign into a home list.
    const foreignPage = await api.get(foreign.lender.admin, '/draws?limit=1').expect(200);
    const continued = await api.get(lender, `/draws?limit=100&cursor=${foreignPage.body.nextCursor}`).expect(200);
    expect((continued.body.items as Item[]).every((draw) => [home.draw1, home.draw2].includes(draw.id))).toBe(true);
  });
});

describe('paging and filters', () => {
  test('a cursor round-trips: pages of one hold every item once, in the order of one large page', async () => {
    const lender = home.lender.admin;
    for (const path of ['/organisations', '/draws', '/repayments', '/margin-calls', '/release-orders', '/sales']) {
      const whole = (await api.get(lender, `${path}?limit=100`).expect(200)).body;
      expect(whole.nextCursor).toBeNull();
      const pageByPage = await everything(lender, path, 1);
      expect({ path, ids: pageByPage.map((item) => item.id) }).toEqual({ path, ids: (whole.items as Item[]).map((item) => item.id) });
    }
    const first = await api.get(lender, '/draws?status=REQUESTED&limit=1').expect(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
  });

  test('limits are bounded and bad filters are refused naming the query field', async () => {
    const lender = home.lender.admin;
    const refusal = async (path: string) => {
      const res = await api.get(lender, path);
      return [res.status, (res.body.errors as { path: string }[] | undefined)?.map((e) => e.path)];
    };
    expect(await refusal('/draws?limit=0')).toEqual([400, ['query.limit']]);
    expect(await refusal('/draws?limit=201')).toEqual([400, ['query.limit']]);
    expect(await refusal('/margin-calls?limit=101')).toEqual([400, ['query.limit']]);
    expect(await refusal(`/credit-lines/${home.line1}/sales?limit=201`)).toEqual([400, ['query.limit']]);
    expect(await refusal('/draws?status=PAID')).toEqual([400, ['query.status']]);
    expect(await refusal('/release-orders?status=open')).toEqual([400, ['query.status']]);
    expect(await refusal('/margin-calls?status=CLOSED')).toEqual([400, ['query.status']]);
    expect(await refusal('/sales?status=SOLD')).toEqual([400, ['query.status']]);
    expect(await refusal('/repayments?kind=REFUND')).toEqual([400, ['query.kind']]);
    expect(await refusal('/organisations?kind=BANK')).toEqual([400, ['query.kind']]);
    expect(await refusal('/repayments?from=2026-02-30')).toEqual([400, ['query.from']]);
    expect(await refusal('/seller-payouts?to=yesterday')).toEqual([400, ['query.to']]);
    expect(await refusal('/draws?from=2026-12-02&to=2026-12-01')).toEqual([400, ['query.to']]);
    expect(await refusal('/lots?creditLineId=line-1')).toEqual([400, ['query.creditLineId']]);
    expect(await refusal('/draws?cursor=forged')).toEqual([400, ['query.cursor']]);
    expect(await refusal(`/credit-lines/${home.line1}/accruals?cursor=${Buffer.from(JSON.stringify({ accrualDate: 'x' })).toString('base64url')}`)).toEqual([400, ['query.cursor']]);
  });

  test('a period filters on the documented date, both ends inclusive', async () => {
    const lender = home.lender.admin;
    const day = new Date().toISOString().slice(0, 10);
    const dayBefore = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const dayAfter = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(ids((await api.get(lender, `/repayments?from=${day}&to=${day}`).expect(200)).body.items)).toEqual(sorted(home.repaymentId, home.salePaymentId));
    expect((await api.get(lender, `/repayments?to=${dayBefore}`).expect(200)).body.items).toEqual([]);
    expect((await api.get(lender, `/draws?from=${dayAfter}`).expect(200)).body.items).toEqual([]);
    expect(ids((await api.get(lender, `/draws?from=${day}&to=${day}`).expect(200)).body.items)).toEqual(sorted(home.draw1, home.draw2));
    expect((await api.get(lender, `/margin-calls?to=${dayBefore}`).expect(200)).body.items).toEqual([]);
  });
});
