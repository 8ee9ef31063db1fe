/**
 * Found by the whole-system simulation (seed 777001): with no principal outstanding and draws
 * reserved, a buyer's payment takes the goods it pays for out of the borrowing base while the
 * waterfall sends the cash to the seller (nothing is owed). Cash that arrived cannot be refused, so
 * the reservations the line no longer covers are refused, newest first, in the payment's own
 * transaction: the reason names the payment, both parties are told, `draw.refused` is recorded,
 * and each draw's workflow is woken through the outbox and finishes.
 *
 * drawLine: 10 000 kg × 3.125 USD × (1 − 0.2) × 0.5 = 12 500.00 borrowing base; no fee on sale,
 * none per draw; one approver up to 5 000.00.
 */
import pino from 'pino';
import { dispatchOutbox } from '../../workflows/outbox/dispatcher';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { availabilityOf, drawLine, lineBalances, requestDrawThroughApi, type DrawLine } from '../draws/factories';

jest.setTimeout(120_000);

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const DAY_MS = 86_400_000;
const requestDraw = (line: DrawLine, amount: string) => requestDrawThroughApi(api, temporal, line, amount);
const availability = (line: DrawLine) => availabilityOf(api, line);

/** The seller reports 8 000 kg of the line's lot sold at 2.50 (below the 3.125 mark), due in 5 days. */
async function sellBelowTheMark(line: DrawLine, buyer: TestOrganisation): Promise<string> {
  const sale = await api.post(line.world.seller.admin, `/credit-lines/${line.lineId}/sales`, {
    buyerOrganisationId: buyer.organisationId,
    items: [{ lotId: line.lotId, quantity: { amount: '8000', unit: 'kg' } }],
    pricePerUnit: { amount: '2.50', currency: 'USD', unit: 'kg' },
    paymentDueDate: new Date(Date.now() + 5 * DAY_MS).toISOString().slice(0, 10),
  });
  expect(sale.status).toBe(201);
  return sale.body.id as string;
}

test("a buyer's payment that leaves reservations uncovered refuses the newest ones, as few as cover the line again", async () => {
  const line = await drawLine(api, { perDrawFee: null });
  const buyer = await api.counterpart(line.world.lender, 'BUYER');
  const oldest = await requestDraw(line, '4000.00');
  const middle = await requestDraw(line, '3000.00');
  const newest = await requestDraw(line, '2500.00');
  // 12 500.00 − 9 500.00 reserved.
  expect(await availability(line)).toBe('3000.00');

  // 8 000 kg sold at 2.50 (below the 3.125 mark): (2 000 × 3.125 + 8 000 × 2.50) × 0.8 × 0.5 = 10 500.00; 10 500.00 − 9 500.00.
  const saleId = await sellBelowTheMark(line, buyer);
  expect(await availability(line)).toBe('1000.00');

  // 15 000.00 of 20 000.00 paid; nothing owed, so all of it is the seller's. The unpaid quarter secures
  // 8 000 × 2.50 × 0.25 = 5 000.00: (6 250.00 + 5 000.00) × 0.4 = 4 500.00; 4 500.00 − 9 500.00 = −5 000.00.
  // Newest first: −5 000.00 + 2 500.00 = −2 500.00, + 3 000.00 = 500.00. The oldest stays reserved.
  const paid = await api.post(line.world.lender.admin, `/sales/${saleId}/payments`, {
    amount: { amount: '15000.00', currency: 'USD' },
    receivedOn: new Date().toISOString().slice(0, 10),
    reference: 'buyer wire',
  });
  expect(paid.status).toBe(201);
  expect(paid.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '0.00', currency: 'USD' }, toSeller: { amount: '15000.00', currency: 'USD' } });
  expect(await availability(line)).toBe('500.00');

  const reason =
    `coverage_insufficient: the buyer's payment of 15 000.00 USD for sale ${saleId} took the goods it paid for out of the borrowing base: ` +
    'availability fell to -5 000.00 USD (outstanding principal 0.00 USD, reserved draws 9 500.00 USD); reserved draws the line no longer covers are refused, newest first';
  const draws = await api.db.sql<{ id: string; status: string; refusal_reason: string | null }>(
    `SELECT id::text, status::text, refusal_reason FROM draw WHERE credit_line_id = $1::uuid ORDER BY created_at`,
    [line.lineId],
  );
  expect(draws).toEqual([
    { id: oldest.id, status: 'REQUESTED', refusal_reason: null },
    { id: middle.id, status: 'REFUSED', refusal_reason: reason },
    { id: newest.id, status: 'REFUSED', refusal_reason: reason },
  ]);
  const view = await api.get(line.sellerViewer, `/draws/${newest.id}`).expect(200);
  expect(view.body).toMatchObject({ status: 'REFUSED' });

  // Both parties are told about each refused draw.
  const told = await api.db.sql<{ organisation_id: string; subject_id: string; message: string }>(
    `SELECT organisation_id::text, subject_id::text, message FROM notification WHERE kind = 'draw.refused' AND subject_id = ANY($1::uuid[]) ORDER BY subject_id, organisation_id`,
    [[middle.id, newest.id, oldest.id]],
  );
  const parties = [line.world.lender.organisationId, line.world.seller.organisationId].sort();
  expect(told.map((note) => [note.subject_id, note.organisation_id])).toEqual(
    [middle.id, newest.id].sort().flatMap((drawId) => parties.map((organisationId) => [drawId, organisationId])),
  );
  expect(told.find((note) => note.subject_id === newest.id)?.message).toBe(
    `draw ${newest.id} of 2 500.00 USD was refused before disbursement: the buyer's payment of 15 000.00 USD for sale ${saleId} took the goods it paid for out of the borrowing base: ` +
      'availability fell to -5 000.00 USD (outstanding principal 0.00 USD, reserved draws 9 500.00 USD); reserved draws the line no longer covers are refused, newest first; its reservation is released',
  );

  // One draw.refused event per refused draw, in the seller's and the lender's feeds.
  const events = await api.db.sql<{ subject_id: string; data: { drawId: string; amount: { amount: string; currency: string }; reason: string }; parties: string[] }>(
    `SELECT e.subject_id::text, e.data, array_agg(p.organisation_id::text ORDER BY p.organisation_id) AS parties
       FROM domain_event e JOIN domain_event_party p ON p.event_seq = e.seq
      WHERE e.type = 'draw.refused' AND e.subject_id = ANY($1::uuid[]) GROUP BY e.seq ORDER BY e.subject_id`,
    [[middle.id, newest.id, oldest.id]],
  );
  expect(events).toEqual(
    [
      { id: middle.id, amount: '3000.00' },
      { id: newest.id, amount: '2500.00' },
    ]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((draw) => ({ subject_id: draw.id, data: { drawId: draw.id, creditLineId: line.lineId, amount: { amount: draw.amount, currency: 'USD' }, reason }, parties })),
  );

  // The outbox wakes the refused draws' workflows; they finish REFUSED without waiting for the deadline.
  await dispatchOutbox({ prisma: api.db.prisma, temporal, logger: pino({ level: 'silent' }) });
  for (const draw of [middle, newest]) {
    await temporal.handle(draw.workflowId).settled();
    expect(temporal.handle(draw.workflowId).harness.outcome.status).toBe('completed');
    expect(await temporal.handle(draw.workflowId).result()).toMatchObject({ phase: 'REFUSED', refusalReason: reason });
  }
  expect(temporal.handle(oldest.workflowId).harness.outcome.status).toBe('running');
  // Nothing was lent; the seller is owed the 15 000.00.
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00', SELLER_PAYABLE: '15000.00', COLLECTION: '15000.00' });

  // The oldest draw is still covered: approved, it is disbursed (500.00 left afterwards).
  await api.post(line.approverA, `/draws/${oldest.id}/approve`, { reason: 'covered' }).expect(200);
  await temporal.handle(oldest.workflowId).settled();
  expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: oldest.id } })).status).toBe('DISBURSED');
  expect(await availability(line)).toBe('500.00');
});

test('a payment that leaves the reservations covered refuses none', async () => {
  const line = await drawLine(api, { perDrawFee: null });
  const buyer = await api.counterpart(line.world.lender, 'BUYER');
  const draw = await requestDraw(line, '4000.00');
  const saleId = await sellBelowTheMark(line, buyer);
  // 5 000.00 of 20 000.00 paid: the unpaid three quarters secure 8 000 × 2.50 × 0.75 = 15 000.00;
  // (6 250.00 + 15 000.00) × 0.4 = 8 500.00; 8 500.00 − 4 000.00 = 4 500.00: lower, still covered.
  await api.post(line.world.lender.admin, `/sales/${saleId}/payments`, { amount: { amount: '5000.00', currency: 'USD' }, receivedOn: new Date().toISOString().slice(0, 10) }).expect(201);
  expect(await availability(line)).toBe('4500.00');
  expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: draw.id } })).status).toBe('REQUESTED');
  expect(await api.db.prisma.notification.count({ where: { kind: 'draw.refused', subjectId: draw.id } })).toBe(0);
  expect(await api.db.prisma.domainEvent.count({ where: { type: 'draw.refused', subjectId: draw.id } })).toBe(0);
});
