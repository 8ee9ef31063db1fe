/**
 * A storage fee on sale is a price per unit of goods per day, in a named unit
 * (the wire's UnitPrice). Goods held in another unit cannot be charged by it:
 * the sale is refused naming the item's unit, rather than charged as if a
 * tonne were a kilogram.
 */
import { Money } from '../../domain/money';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, salesWorld, type SalesWorld } from './world';

let api: TestApi;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => new HarnessTemporal({ databaseUrl }) });
});
afterAll(() => api.close());

const sell = (world: SalesWorld) =>
  api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
    buyerOrganisationId: world.buyer.organisationId,
    items: [{ lotId: world.lotId, quantity: { amount: '1000', unit: 'kg' } }],
    pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
    paymentDueDate: isoDay(Date.now() + 5 * DAY_MS),
  });

test("the line's storage fee names its unit, read back as a UnitPrice in the line currency", async () => {
  const world = await salesWorld(api);
  const line = await api.get(world.custody.lender.admin, `/credit-lines/${world.line.id}`).expect(200);
  expect(line.body.terms.feeSchedule.onSale).toEqual({ kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: { amount: '0.002', currency: 'USD', unit: 'kg' } });
  // 30 days × 0.002 USD/kg/day × 1 000 kg = 60.00
  const sale = await sell(world).expect(201);
  expect(sale.body.feeOnSale).toEqual({ amount: '60.00', currency: 'USD' });
});

test('goods held in kg are not charged by a rate per tonne: 422 naming body.items.0.quantity.unit, and no sale is written', async () => {
  const world = await salesWorld(api, { onSale: { kind: 'STORAGE_DAYS', days: 30, dailyStorageRatePerUnit: Money.of('0.002', 'USD'), unit: 't' } });
  const res = await sell(world);
  expect({ status: res.status, code: res.body.code, paths: res.body.errors?.map((error: { path: string }) => error.path) }).toEqual({
    status: 422,
    code: 'unit_not_convertible',
    paths: ['body.items.0.quantity.unit'],
  });
  expect(res.body.detail).toBe(`lot ${world.lotId} is held in kg; the line's storage fee is 0.002 USD per t per day, and no conversion from kg is defined`);
  expect(await api.db.prisma.sale.count({ where: { creditLineId: world.line.id } })).toBe(0);
});
