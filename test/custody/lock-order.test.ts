/**
 * Issue #11 item 11: one lock order (prisma/locks.ts: line → lot → release
 * order → sale → draw). Reporting a sale used to lock line → lot while
 * unpledging locked lot → line; run together, PostgreSQL aborted one with
 * 40P01 and the client got a 500. Now every writer takes the line first, so
 * the two wait for each other and exactly one of them wins each race.
 */
import { receiveLot } from './factories';
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { DAY_MS, isoDay, salesWorld } from '../sales/world';

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })), poolMax: 20 });
});
afterAll(() => api.close());

const PAIRS = 30;
const PAIRS_AT_ONCE = 5;
/** 30 lots to set up and 60 racing requests, on a machine shared with other test runs. */
const TEST_TIMEOUT_MS = 300_000;

test(`${PAIRS} sales raced against unpledges of the same lots: no 500, no deadlock, one winner each, a consistent state`, async () => {
  const world = await salesWorld(api);
  const lots: string[] = [];
  for (let i = 0; i < PAIRS; i += 1) {
    const lot = await receiveLot(api, world.custody, { quantity: '100' });
    await api.post(world.custody.seller.admin, `/lots/${lot.id}/pledge`, { creditLineId: world.line.id }).expect(201);
    lots.push(lot.id);
  }
  const outcomes: { lotId: string; sale: { status: number; body: { code?: string } }; unpledge: { status: number; body: { code?: string } } }[] = [];
  for (let start = 0; start < PAIRS; start += PAIRS_AT_ONCE) {
    const batch = lots.slice(start, start + PAIRS_AT_ONCE);
    const raced = await Promise.all(
      batch.map(async (lotId) => {
        const [sale, unpledge] = await Promise.all([
          api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
            buyerOrganisationId: world.buyer.organisationId,
            items: [{ lotId, quantity: { amount: '60', unit: 'kg' } }],
            pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
            paymentDueDate: isoDay(Date.now() + DAY_MS),
          }),
          api.post(world.custody.seller.admin, `/lots/${lotId}/unpledge`),
        ]);
        return { lotId, sale, unpledge };
      }),
    );
    outcomes.push(...raced);
  }
  await temporal.settled();
  for (const { lotId, sale, unpledge } of outcomes) {
    // Never a server error; exactly one of the two wins.
    expect([sale.status, unpledge.status].sort()).toEqual([201, 422]);
    const lien = await api.db.prisma.lien.findFirst({ where: { lotId, releasedAt: null } });
    const sales = await api.db.prisma.saleItem.count({ where: { lotId } });
    if (sale.status === 201) {
      // The sale came first: its 60 kg are reserved, so the whole lot cannot leave the lien.
      expect(unpledge.body.code).toBe('quantity_not_available');
      expect([lien?.creditLineId, sales]).toEqual([world.line.id, 1]);
    } else {
      // The unpledge came first: the goods are no longer pledged to the line and cannot be sold under it.
      expect(sale.body.code).toBe('lot_not_pledged_to_line');
      expect([lien, sales]).toEqual([null, 0]);
    }
  }
  const deadlocks = await api.db.sql<{ deadlocks: string }>(`SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()`);
  expect(deadlocks[0].deadlocks).toBe('0');
}, TEST_TIMEOUT_MS);
