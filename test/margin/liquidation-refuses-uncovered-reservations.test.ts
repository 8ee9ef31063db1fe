/**
 * Goods that leave in a liquidation cannot be kept back (the lender realises its collateral; the
 * warehouse records what left): when their release lowers availability below zero, the draws the
 * line no longer covers are refused in the confirmation's transaction, as a buyer's payment does
 * (prisma/draws/store.ts refuseUncoveredReservations). A price fall alone leaves them waiting.
 *
 * marginWorld: haircut 0.25, advance rate 0.6; 10 800.00 principal; 2 000 kg pledged.
 *   at 28.80: 2 000 × 28.80 × 0.75 × 0.6 = 25 920.00 borrowing base; 25 920.00 − 10 800.00 = 15 120.00.
 */
import { Money } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { inTransaction } from '../../prisma/client';
import { requestDraw } from '../../prisma/draws/store';
import { createTestApi, type TestApi } from '../support/api';
import { draw, evaluate, liveCall, mark, marginWorld, pledgedLot } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test('a liquidation release that takes availability further below zero refuses the reservation it leaves uncovered; the price fall before it did not', async () => {
  const world = await marginWorld(api);
  await draw(api, world.lineId, '10800.00');
  const lotId = await pledgedLot(api, world, '2000');
  await mark(api, world, '28.80');
  const availability = async () => (await api.get(world.lender.admin, `/credit-lines/${world.lineId}/borrowing-base?view=totals`).expect(200)).body.totals.availability.amount;
  expect(await availability()).toBe('15120.00');
  const reserved = await inTransaction(api.db.prisma, (tx) =>
    requestDraw(tx, { userId: world.seller.admin.userId, organisationId: world.seller.organisationId, organisationKind: 'SELLER', role: 'ADMIN', requestId: null }, world.lineId, {
      amount: Money.of('3000.00', 'USD'),
      purpose: null,
      lotId: null,
      now: new Date(),
    }),
  );
  expect(await availability()).toBe('12120.00');

  // The price falls to 8.00: collateral 12 000.00, LTV 0.9 ≥ 0.85, liquidation. 2 000 × 8 × 0.45 = 7 200.00;
  // 7 200.00 − 10 800.00 − 3 000.00 = −6 600.00: a price, so the reservation waits (never disbursed while short).
  await mark(api, world, '8.00');
  await evaluate(api, world.lineId, new Date());
  expect((await liveCall(api, world.lineId))!.status).toBe('LIQUIDATING');
  expect(await availability()).toBe('-6600.00');

  // 500 kg sold for 4 000.00: principal 6 800.00; the goods have not left yet: 7 200.00 − 6 800.00 − 3 000.00 = −2 600.00.
  await api
    .post(world.lender.admin, `/credit-lines/${world.lineId}/liquidation-sales`, { lotId, quantity: { amount: '500', unit: 'kg' }, proceeds: { amount: '4000.00', currency: 'USD' }, receivedOn: utcDay(new Date()) })
    .expect(201);
  expect(await availability()).toBe('-2600.00');
  expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: reserved.id } })).status).toBe('REQUESTED');

  // They leave: 1 500 × 8 × 0.45 = 5 400.00; 5 400.00 − 6 800.00 − 3 000.00 = −4 400.00, lower than −2 600.00:
  // the 3 000.00 reservation is refused; −1 400.00 is principal the collateral no longer covers.
  const order = await api.db.prisma.releaseOrder.findFirstOrThrow({ where: { lotId } });
  const lot = await api.db.prisma.lot.findUniqueOrThrow({ where: { id: lotId } });
  await api.post(world.warehouse.admin, `/release-orders/${order.id}/confirmations`, { quantity: { amount: '500', unit: 'kg' }, releasedAt: new Date().toISOString() }).expect(201);
  expect(await availability()).toBe('-1400.00');
  const refused = await api.db.prisma.draw.findUniqueOrThrow({ where: { id: reserved.id } });
  expect([refused.status, refused.refusalReason]).toEqual([
    'REFUSED',
    `coverage_insufficient: the release of 500 kg from lot ${lot.receiptNumber} under release order ${order.id} took them out of the borrowing base: ` +
      'availability fell to -4 400.00 USD (outstanding principal 6 800.00 USD, reserved draws 3 000.00 USD); reserved draws the line no longer covers are refused, newest first',
  ]);
  const told = await api.db.prisma.notification.findMany({ where: { kind: 'draw.refused', subjectId: reserved.id }, orderBy: { organisationId: 'asc' } });
  expect(told.map((note) => note.organisationId)).toEqual([world.lender.organisationId, world.seller.organisationId].sort());
  expect(await api.db.prisma.domainEvent.count({ where: { type: 'draw.refused', subjectId: reserved.id } })).toBe(1);
  const [signal] = await api.db.sql<{ signal_name: string }>(`SELECT signal_name FROM workflow_outbox WHERE workflow_id = $1 AND kind = 'SIGNAL'`, [reserved.workflowId]);
  expect(signal.signal_name).toBe('decisionRecorded');
});
