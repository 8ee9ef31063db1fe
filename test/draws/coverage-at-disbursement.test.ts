/**
 * Issue #11 item 3: a draw reserved with no principal yet is coverage the
 * lender has promised. The seller cannot unpledge its only lot without the
 * lender, and a disbursement re-checks coverage under the line's lock: when a
 * loss since approval left the line over its borrowing base, the draw is
 * REFUSED with the reason, its reservation is released, and both parties are
 * told — never an unsecured loan.
 *
 * drawLine: 10 000 kg × 3.125 USD × (1 − 0.2) × 0.5 = 12 500.00 borrowing base;
 * one approver up to 5 000.00, 25.00 fee per draw.
 */
import { createTestApi, type TestApi } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { availabilityOf, drawLine, lineBalances, requestDrawThroughApi, type DrawLine } from './factories';

// Each test is a whole story (sale or draw, payments, workflow to its end): on a machine shared with
// other test runs it can take longer than the suite's 30 s default.
jest.setTimeout(120_000);

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: (databaseUrl) => (temporal = new HarnessTemporal({ databaseUrl })) });
});
afterAll(() => api.close());

const requestDraw = (line: DrawLine, amount: string) => requestDrawThroughApi(api, temporal, line, amount);
const availability = (line: DrawLine) => availabilityOf(api, line);

test('with no principal and a draw reserved, the only lot stays pledged, and a disbursement the line no longer covers is refused', async () => {
  const line = await drawLine(api);
  const draw = await requestDraw(line, '3000.00');
  expect(await availability(line)).toBe('9500.00');

  // Nothing outstanding yet, but 3 000.00 promised: the seller needs the lender's consent…
  const unpledge = await api.post(line.world.seller.admin, `/lots/${line.lotId}/unpledge`);
  expect([unpledge.status, unpledge.body.code]).toEqual([422, 'lender_consent_required']);
  // …and with it, the line must stay covered: 0 − 0 − 3 000.00.
  await api.post(line.approverA, `/lots/${line.lotId}/unpledge-consent`).expect(201);
  const consented = await api.post(line.world.seller.admin, `/lots/${line.lotId}/unpledge`);
  expect([consented.status, consented.body.code]).toEqual([422, 'coverage_insufficient']);
  expect(consented.body.detail).toContain('availability would be -3 000.00 USD');

  // Physical reality: 9 000 kg lost. 1 000 × 3.125 × 0.8 × 0.5 = 1 250.00; 1 250.00 − 3 000.00 = −1 750.00.
  await api.post(line.world.warehouse.admin, `/lots/${line.lotId}/adjustments`, { quantityDelta: { amount: '-9000', unit: 'kg' }, kind: 'SPOILAGE', reason: 'cold room failure' }).expect(201);
  expect(await availability(line)).toBe('-1750.00');

  await api.post(line.approverA, `/draws/${draw.id}/approve`, { reason: 'approved before the loss was known' }).expect(200);
  await temporal.handle(draw.workflowId).settled();
  const refused = await api.db.prisma.draw.findUniqueOrThrow({ where: { id: draw.id } });
  expect(refused.status).toBe('REFUSED');
  expect(refused.refusalReason).toBe(
    'coverage_insufficient: disbursing 3 000.00 USD would leave the line over its borrowing base: availability counting this draw is -1 750.00 USD (outstanding principal 0.00 USD, reserved draws 3 000.00 USD)',
  );
  const state = await api.get(line.lenderViewer, `/draws/${draw.id}/workflow`).expect(200);
  expect(state.body.phase).toBe('REFUSED');
  // Nothing was lent, no fee charged, and the reservation is released.
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00', LENDER_FUNDING: '0.00', FEES_RECEIVABLE: '0.00' });
  expect(await availability(line)).toBe('1250.00');
  const told = await api.db.sql<{ organisation_id: string }>(`SELECT organisation_id::text FROM notification WHERE subject_id = $1 AND kind = 'draw.refused' ORDER BY organisation_id`, [draw.id]);
  expect(told.map((row) => row.organisation_id)).toEqual([line.world.lender.organisationId, line.world.seller.organisationId].sort());
});

test('a covered line still disburses: the check counts this draw once', async () => {
  const line = await drawLine(api, { perDrawFee: null });
  // Exactly the whole availability: 12 500.00 − 12 500.00 = 0, not negative.
  const draw = await requestDraw(line, '12500.00');
  await api.post(line.approverA, `/draws/${draw.id}/approve`).expect(200);
  await api.post(line.approverB, `/draws/${draw.id}/approve`).expect(200);
  await temporal.handle(draw.workflowId).settled();
  expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: draw.id } })).status).toBe('DISBURSED');
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '12500.00' });
});
