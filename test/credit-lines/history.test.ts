import request from 'supertest';
import { D, Money } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { inTransaction } from '../../prisma/client';
import { requestDraw } from '../../prisma/draws/store';
import { postEntry } from '../../prisma/ledger/store';
import { drawLine, type DrawLine } from '../draws/factories';
import { personOf } from '../auth/support';
import { createTestApi, type TestApi } from '../support/api';

const DAY_MS = 86_400_000;
let api: TestApi;
let line: DrawLine;
const today = utcDay(new Date());
const day = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);

/**
 * drawLine: 10 000 kg pledged, haircut 0.2, advance rate 0.5, limit 250 000.00, marks at most 48 h old,
 * and a mark of 3.125 as of now. Here the lot and its lien are moved ten days back (as if received and
 * pledged then), and the history is given:
 *   T-2 06:00  mark 3.125
 *   T-1 06:00  mark 2.500            (the price falls)
 *   T-1        6 000.00 disbursed    (LOAN_PRINCIPAL, effective T-1)
 *   T          draw of 800.00 requested (reserved), and the factory's mark of 3.125 as of now
 */
const usd = (amount: string) => ({ amount, currency: 'USD' });

beforeAll(async () => {
  api = await createTestApi();
  line = await drawLine(api);
  await api.db.sql('ALTER TABLE custody_event DISABLE TRIGGER USER');
  await api.db.sql("UPDATE custody_event SET occurred_at = occurred_at - interval '10 days' WHERE lot_id = $1", [line.lotId]);
  await api.db.sql('ALTER TABLE custody_event ENABLE TRIGGER USER');
  await api.db.sql("UPDATE lien SET pledged_at = pledged_at - interval '10 days' WHERE lot_id = $1", [line.lotId]);
  for (const [asOf, price] of [[`${day(-2)}T06:00:00Z`, '3.125'], [`${day(-1)}T06:00:00Z`, '2.5']]) {
    const mark = { commodityCode: line.world.commodityCode, grade: '80', pricePerUnit: { amount: price, currency: 'USD', unit: 'kg' }, source: 'test', asOf };
    await api.post(line.world.lender.admin, '/price-marks', mark).expect(201);
  }
  const accounts = Object.fromEntries((await api.db.prisma.ledgerAccount.findMany({ where: { accountSetId: line.lineId } })).map((a) => [a.code, a.id]));
  await postEntry(api.db.prisma, {
    idempotencyKey: `${line.lineId}:disbursement`,
    description: 'disbursement',
    effectiveDate: day(-1),
    accountSetId: line.lineId,
    lines: [
      { accountId: accounts.LOAN_PRINCIPAL, side: 'DEBIT', amount: Money.of('6000.00', 'USD') },
      { accountId: accounts.LENDER_FUNDING, side: 'CREDIT', amount: Money.of('6000.00', 'USD') },
    ],
  });
  const seller = line.world.seller.admin;
  await inTransaction(api.db.prisma, (tx) =>
    requestDraw(tx, { userId: seller.userId, organisationId: seller.organisationId, organisationKind: 'SELLER', role: 'ADMIN', requestId: null }, line.lineId, {
      amount: Money.of('800.00', 'USD'),
      purpose: null,
      lotId: null,
      now: new Date(),
    }),
  );
});
afterAll(() => api.close());

describe('GET /credit-lines/{id}/history', () => {
  test('answers each day-end figure from the facts dated by then, across a price fall and a disbursement, with the line thresholds', async () => {
    const res = await api.get(line.world.lender.admin, `/credit-lines/${line.lineId}/history?from=${day(-3)}&to=${today}`).expect(200);
    expect(res.body).toEqual({
      creditLineId: line.lineId,
      currency: 'USD',
      from: day(-3),
      to: today,
      limit: usd('250000.00'),
      thresholds: { marginCallLtv: '0.6', targetLtv: '0.4', liquidationLtv: '0.75' },
      points: [
        // No mark dated before the end of T-3: the goods are worth nothing for lending yet.
        { date: day(-3), outstanding: usd('0.00'), borrowingBase: usd('0.00'), eligibleCollateralValue: usd('0.00'), reservedDraws: usd('0.00'), availability: usd('0.00'), ltv: '0' },
        // 10 000 × 3.125 × 0.8 = 25 000 collateral; × 0.5 = 12 500 borrowing base.
        { date: day(-2), outstanding: usd('0.00'), borrowingBase: usd('12500.00'), eligibleCollateralValue: usd('25000.00'), reservedDraws: usd('0.00'), availability: usd('12500.00'), ltv: '0' },
        // 10 000 × 2.5 × 0.8 = 20 000; BB 10 000; 6 000 drawn: LTV 0.3, availability 4 000.
        { date: day(-1), outstanding: usd('6000.00'), borrowingBase: usd('10000.00'), eligibleCollateralValue: usd('20000.00'), reservedDraws: usd('0.00'), availability: usd('4000.00'), ltv: '0.3' },
        // Back at 3.125: 25 000 and 12 500; 6 000 drawn and 800 reserved: LTV 0.24, availability 5 700.
        { date: today, outstanding: usd('6000.00'), borrowingBase: usd('12500.00'), eligibleCollateralValue: usd('25000.00'), reservedDraws: usd('800.00'), availability: usd('5700.00'), ltv: '0.24' },
      ],
    });
  });

  test("today's point agrees with the live borrowing base", async () => {
    const live = (await api.get(line.world.seller.admin, `/credit-lines/${line.lineId}/borrowing-base?view=totals`).expect(200)).body.totals;
    const history = (await api.get(line.world.seller.admin, `/credit-lines/${line.lineId}/history?from=${today}&to=${today}`).expect(200)).body.points[0];
    expect(history.borrowingBase).toEqual(live.borrowingBase);
    expect(history.availability).toEqual(live.availability);
    expect(history.outstanding).toEqual(live.outstandingPrincipal);
    expect(history.ltv).toBe(live.ltv);
  });

  test('a mark older than the line maximum age (48 h) at a day end lends nothing that day', async () => {
    const stale = await drawLine(api);
    await api.db.sql("UPDATE lien SET pledged_at = pledged_at - interval '10 days' WHERE lot_id = $1", [stale.lotId]);
    await api.db.sql('ALTER TABLE custody_event DISABLE TRIGGER USER');
    await api.db.sql("UPDATE custody_event SET occurred_at = occurred_at - interval '10 days' WHERE lot_id = $1", [stale.lotId]);
    await api.db.sql('ALTER TABLE custody_event ENABLE TRIGGER USER');
    const mark = { commodityCode: stale.world.commodityCode, grade: '80', pricePerUnit: { amount: '3.125', currency: 'USD', unit: 'kg' }, source: 'test', asOf: `${day(-5)}T06:00:00Z` };
    await api.post(stale.world.lender.admin, '/price-marks', mark).expect(201);
    const res = await api.get(stale.world.lender.admin, `/credit-lines/${stale.lineId}/history?from=${day(-5)}&to=${day(-3)}`).expect(200);
    // Ages at the day ends: 18 h, 42 h, 66 h.
    expect(res.body.points.map((p: { date: string; borrowingBase: { amount: string }; eligibleCollateralValue: { amount: string } }) => [p.date, p.borrowingBase.amount, p.eligibleCollateralValue.amount])).toEqual([
      [day(-5), '12500.00', '25000.00'],
      [day(-4), '12500.00', '25000.00'],
      [day(-3), '0.00', '0.00'],
    ]);
  });

  test('only the parties of the line read it, a seller with its session as with its key', async () => {
    const sellerPerson = await personOf(api, line.world.seller, 'VIEWER');
    const byCookie = await request(api.app).get(`/credit-lines/${line.lineId}/history?from=${today}&to=${today}`).set('Cookie', sellerPerson.cookie);
    expect(byCookie.status).toBe(200);
    for (const outsider of [line.world.warehouse.admin, (await api.organisation('LENDER')).admin]) {
      const res = await api.get(outsider, `/credit-lines/${line.lineId}/history`);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'not_found' });
    }
  });

  test('a period is at most 366 days, ends by today, and runs forward', async () => {
    const path = `/credit-lines/${line.lineId}/history`;
    const tooLong = await api.get(line.world.lender.admin, `${path}?from=${day(-366)}&to=${today}`);
    expect({ status: tooLong.status, errors: tooLong.body.errors }).toEqual({
      status: 400,
      errors: [{ path: 'query.from', reason: `asks for 367 days from ${day(-366)} to ${today}; at most 366 days per request: ask for the rest in another` }],
    });
    expect((await api.get(line.world.lender.admin, `${path}?from=${day(-365)}&to=${today}`)).body.points).toHaveLength(366);
    const future = await api.get(line.world.lender.admin, `${path}?to=${day(1)}`);
    expect({ status: future.status, path: future.body.errors[0].path }).toEqual({ status: 400, path: 'query.to' });
    const backwards = await api.get(line.world.lender.admin, `${path}?from=${today}&to=${day(-1)}`);
    expect({ status: backwards.status, path: backwards.body.errors[0].path }).toEqual({ status: 400, path: 'query.to' });
    const defaulted = await api.get(line.world.lender.admin, path).expect(200);
    expect([defaulted.body.from, defaulted.body.to, defaulted.body.points.length]).toEqual([day(-29), today, 30]);
  });
});

describe('GET /price-marks: a commodity over time', () => {
  test('the lender reads its marks of one commodity and grade in a period, newest first, in pages', async () => {
    const lender = line.world.lender.admin;
    const query = `commodityCode=${line.world.commodityCode}&grade=80&from=${day(-2)}&to=${day(-1)}`;
    const page = await api.get(lender, `/price-marks?${query}&limit=1`).expect(200);
    expect(page.body.items.map((m: { pricePerUnit: { amount: string }; asOf: string }) => [m.asOf, m.pricePerUnit])).toEqual([[`${day(-1)}T06:00:00.000Z`, expect.anything()]]);
    const next = await api.get(lender, `/price-marks?${query}&limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`).expect(200);
    expect(next.body.items.map((m: { asOf: string }) => m.asOf)).toEqual([`${day(-2)}T06:00:00.000Z`]);
  });
});
