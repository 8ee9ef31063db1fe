import request from 'supertest';
import { createApp } from '../../api/app';
import { UnavailableTemporal } from '../../workflows/connection';
import { ok } from '../../client';
import { createTestApi, type TestApi, type TestUser } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { drawLine, lineBalances, usd, type DrawLine } from './factories';

let api: TestApi;
let temporal: HarnessTemporal;

beforeAll(async () => {
  api = await createTestApi({ temporal: lazyTemporal(), poolMax: 20 });
});
afterAll(() => api.close());

/** The harness needs the test database's URL, which exists only once createTestApi has made it. */
function lazyTemporal(): HarnessTemporal {
  return new Proxy({} as HarnessTemporal, {
    get(_target, property) {
      temporal ??= new HarnessTemporal({ databaseUrl: api.db.url });
      const value = Reflect.get(temporal, property, temporal) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(temporal) : value;
    },
  });
}

const HOUR_MS = 60 * 60 * 1000;

/** Through the typed client: a renamed route or field of the draw fails `tsc` here. */
async function requestDraw(line: DrawLine, amount: string, by: TestUser = line.sellerOperator) {
  const draw = await ok(api.client(by).POST('/credit-lines/{lineId}/draws', { params: { path: { lineId: line.lineId } }, body: { amount: usd(amount), purpose: 'working capital' } }));
  // The workflow was started from the outbox once the draw had committed, before the answer: it found the draw at once.
  await temporal.handle(draw.workflowId).settled();
  return draw;
}

async function drawStatus(drawId: string): Promise<string> {
  return (await api.db.prisma.draw.findUniqueOrThrow({ where: { id: drawId } })).status;
}

describe('requesting a draw', () => {
  test('the amount is reserved at once: a second draw sees the availability less the first', async () => {
    const line = await drawLine(api);
    const first = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('3000.00'), lotId: line.lotId });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'REQUESTED', requiredApprovals: 1, amount: { amount: '3000.00', currency: 'USD' }, lotId: line.lotId, workflowId: `draw-${first.body.id}` });
    const second = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('9500.01') });
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('insufficient_availability');
    expect(second.body.detail).toBe('availability is 9 500.00 USD; requested 9 500.01 USD');
    expect((await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('9500.00') })).status).toBe(201);
  });

  test('a draw above availability is refused with 422 saying the availability, and nothing is written', async () => {
    const line = await drawLine(api);
    const res = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('15000.00') });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('insufficient_availability');
    expect(res.body.detail).toBe('availability is 12 500.00 USD; requested 15 000.00 USD');
    expect(await api.db.prisma.draw.count({ where: { creditLineId: line.lineId } })).toBe(0);
  });

  test('50 parallel draw requests on one line never together exceed availability (count and sum exact)', async () => {
    const line = await drawLine(api);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('300.00') })),
    );
    const accepted = responses.filter((res) => res.status === 201);
    const refused = responses.filter((res) => res.status !== 201);
    // 12 500.00 / 300.00 = 41 draws (12 300.00), 200.00 left. Each draw's workflow starts once the draw has
    // committed, and 300.00 is approved automatically: those already disbursed count with those reserved.
    expect(accepted).toHaveLength(41);
    expect(refused.map((res) => [res.status, res.body.detail])).toEqual(Array.from({ length: 9 }, () => [422, 'availability is 200.00 USD; requested 300.00 USD']));
    const [row] = await api.db.sql<{ count: string; total: string }>(
      `SELECT count(*)::text AS count, sum(amount)::numeric(20,2)::text AS total FROM draw WHERE credit_line_id = $1 AND status IN ('REQUESTED', 'APPROVED', 'DISBURSED')`,
      [line.lineId],
    );
    expect(row).toEqual({ count: '41', total: '12300.00' });
  });

  test('only the seller’s ADMIN or OPERATOR requests; a matured or frozen line takes no draws', async () => {
    const line = await drawLine(api);
    const asLender = await api.post(line.world.lender.admin, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
    expect([asLender.status, asLender.body.code]).toEqual([403, 'forbidden']);
    const asViewer = await api.post(line.sellerViewer, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
    expect([asViewer.status, asViewer.body.detail]).toEqual([403, 'a VIEWER can read but not change anything; ask a user with another role of your organisation']);
    const wrongCurrency = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: { amount: '100.00', currency: 'EUR' } });
    expect([wrongCurrency.status, wrongCurrency.body.code]).toEqual([422, 'currency_mismatch']);
    const tooFine = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.001') });
    expect(tooFine.status).toBe(400);
    await api.post(line.approverA, `/credit-lines/${line.lineId}/freeze`).expect(200);
    const frozen = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
    expect([frozen.status, frozen.body.code]).toEqual([422, 'credit_line_not_active']);
    await api.post(line.approverA, `/credit-lines/${line.lineId}/unfreeze`).expect(200);
    await api.db.sql(`UPDATE credit_line SET maturity_date = current_date - 1 WHERE id = $1`, [line.lineId]);
    const matured = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('100.00') });
    expect([matured.status, matured.body.code]).toEqual([422, 'credit_line_matured']);
    expect(await api.db.prisma.draw.count({ where: { creditLineId: line.lineId } })).toBe(0);
  });

  test('without Temporal the request answers 503 and reserves nothing', async () => {
    const line = await drawLine(api);
    const app = createApp({ ...api.deps, temporal: new UnavailableTemporal('no server here', 'godown-test') });
    const res = await request(app)
      .post(`/credit-lines/${line.lineId}/draws`)
      .set('Authorization', `Bearer ${line.sellerOperator.apiKey}`)
      .set('Idempotency-Key', 'draw-without-temporal')
      .send({ amount: usd('100.00') });
    expect([res.status, res.body.code]).toEqual([503, 'temporal_unavailable']);
    expect(await api.db.prisma.draw.count({ where: { creditLineId: line.lineId } })).toBe(0);
  });
});

describe('approval through the API, with the workflow and real activities', () => {
  test('a draw up to the first threshold is approved automatically and disbursed with its fee', async () => {
    const line = await drawLine(api);
    const draw = await requestDraw(line, '800.00');
    expect(draw.requiredApprovals).toBe(0);
    expect(await drawStatus(draw.id)).toBe('DISBURSED');
    expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '800.00', LENDER_FUNDING: '800.00', FEES_RECEIVABLE: '25.00', FEE_INCOME: '25.00' });
    const got = await api.get(line.sellerViewer, `/draws/${draw.id}`).expect(200);
    expect(got.body.status).toBe('DISBURSED');
    expect(got.body.disbursementEntryId).toEqual(expect.any(String));
  });

  test('one approver approves a mid-sized draw; it leaves the pending list and is disbursed', async () => {
    const line = await drawLine(api);
    const draw = await requestDraw(line, '3000.00');
    const pending = await api.get(line.approverB, '/draws/pending-approvals').expect(200);
    expect(pending.body.items.map((item: { id: string }) => item.id)).toEqual([draw.id]);
    const state = await api.get(line.lenderViewer, `/draws/${draw.id}/workflow`).expect(200);
    expect(state.body).toMatchObject({ phase: 'AWAITING_APPROVAL', requiredApprovals: 1, approverUserIds: [] });

    const approved = await api.post(line.approverA, `/draws/${draw.id}/approve`, { reason: 'within policy' });
    expect(approved.status).toBe(200);
    expect(approved.body.decisions).toEqual([{ userId: line.approverA.userId, decision: 'APPROVE', reason: 'within policy', decidedAt: expect.any(String) }]);
    await temporal.handle(draw.workflowId).settled();
    expect(await drawStatus(draw.id)).toBe('DISBURSED');
    expect((await api.get(line.approverB, '/draws/pending-approvals').expect(200)).body.items).toEqual([]);
    expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '3000.00', LENDER_FUNDING: '3000.00', FEES_RECEIVABLE: '25.00' });
  });

  test('a large draw needs two different approvers; the same approver twice is refused with 409', async () => {
    const line = await drawLine(api, { perDrawFee: null });
    const draw = await requestDraw(line, '8000.00');
    expect(draw.requiredApprovals).toBe(2);
    await api.post(line.approverA, `/draws/${draw.id}/approve`).expect(200);
    await temporal.handle(draw.workflowId).settled();
    expect(await drawStatus(draw.id)).toBe('REQUESTED');
    expect((await api.get(line.lenderViewer, `/draws/${draw.id}/workflow`)).body.approverUserIds).toEqual([line.approverA.userId]);
    const again = await api.post(line.approverA, `/draws/${draw.id}/approve`);
    expect([again.status, again.body.detail]).toEqual([409, `user ${line.approverA.userId} has already approved this draw; a second approval must come from someone else`]);
    await api.post(line.approverB, `/draws/${draw.id}/approve`).expect(200);
    await temporal.handle(draw.workflowId).settled();
    expect(await drawStatus(draw.id)).toBe('DISBURSED');
    expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '8000.00', LENDER_FUNDING: '8000.00', FEES_RECEIVABLE: '0.00' });
  });

  test('a rejection releases the reservation and tells the seller', async () => {
    const line = await drawLine(api);
    const draw = await requestDraw(line, '12500.00');
    await api.post(line.approverB, `/draws/${draw.id}/reject`, { reason: 'collateral too concentrated' }).expect(200);
    await temporal.handle(draw.workflowId).settled();
    expect(await drawStatus(draw.id)).toBe('REJECTED');
    expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00' });
    const notes = await api.get(line.sellerViewer, '/notifications').expect(200);
    expect(notes.body.items.map((note: { kind: string; subjectId: string }) => [note.kind, note.subjectId])).toEqual([['draw.rejected', draw.id]]);
    // The whole availability is back.
    expect((await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('12500.00') })).status).toBe(201);
  });

  test('who may decide: the requester, the seller, a lender VIEWER and a lender OPERATOR are refused; an unknown draw is 404', async () => {
    const line = await drawLine(api);
    const draw = await requestDraw(line, '3000.00');
    const lenderOperator = await line.world.lender.addUser('OPERATOR');
    const bySeller = await api.post(line.sellerOperator, `/draws/${draw.id}/approve`);
    expect([bySeller.status, bySeller.body.detail]).toEqual([403, `only users of the line's lender may approve its draws; user ${line.sellerOperator.userId} is not one`]);
    const byViewer = await api.post(line.lenderViewer, `/draws/${draw.id}/reject`);
    expect([byViewer.status, byViewer.body.detail]).toEqual([403, 'a VIEWER can read but not change anything; ask a user with another role of your organisation']);
    expect((await api.post(lenderOperator, `/draws/${draw.id}/approve`)).status).toBe(403);
    expect((await api.post(line.approverA, '/draws/00000000-0000-4000-8000-000000000000/approve')).status).toBe(404);
    expect(await api.db.prisma.drawDecision.count({ where: { drawId: draw.id } })).toBe(0);
    expect(await drawStatus(draw.id)).toBe('REQUESTED');
  });

  test('an approval that does not come within the window expires the draw, releases it and tells the seller; a late approval is 409', async () => {
    const line = await drawLine(api, { approvalWindowHours: 24 });
    const draw = await requestDraw(line, '3000.00');
    await temporal.handle(draw.workflowId).advanceTime(24 * HOUR_MS);
    expect(await drawStatus(draw.id)).toBe('EXPIRED');
    const late = await api.post(line.approverA, `/draws/${draw.id}/approve`);
    expect([late.status, late.body.detail]).toEqual([409, `draw ${draw.id} is EXPIRED; approvals and rejections are taken only while it is REQUESTED`]);
    const notes = await api.get(line.sellerOperator, '/notifications?unacknowledged=true').expect(200);
    expect(notes.body.items).toHaveLength(1);
    expect(notes.body.items[0]).toMatchObject({ kind: 'draw.expired', subjectType: 'draw', subjectId: draw.id, acknowledgedAt: null });
    expect(notes.body.items[0].message).toContain('of 3 000.00 USD was not approved before');
    const noteId = notes.body.items[0].id as string;
    expect((await api.post(line.world.lender.admin, `/notifications/${noteId}/acknowledge`)).status).toBe(404);
    expect((await api.post(line.sellerViewer, `/notifications/${noteId}/acknowledge`)).status).toBe(403);
    const acked = await api.post(line.sellerOperator, `/notifications/${noteId}/acknowledge`).expect(200);
    expect(acked.body.acknowledgedByUserId).toBe(line.sellerOperator.userId);
    expect((await api.post(line.sellerOperator, `/notifications/${noteId}/acknowledge`)).status).toBe(409);
    expect((await api.get(line.sellerOperator, '/notifications?unacknowledged=true').expect(200)).body.items).toEqual([]);
    expect((await api.get(line.world.lender.admin, '/notifications').expect(200)).body.items).toEqual([]);
  });
});

describe('tenancy', () => {
  test('every draw endpoint answers 404 to organisations that are not party to the line', async () => {
    const line = await drawLine(api);
    const draw = await requestDraw(line, '3000.00');
    const foreignLender = await api.organisation('LENDER');
    const foreignSeller = await api.organisation('SELLER');
    const calls: Array<[string, (user: TestUser) => ReturnType<TestApi['get']>]> = [
      ['GET draw', (user) => api.get(user, `/draws/${draw.id}`)],
      ['GET workflow', (user) => api.get(user, `/draws/${draw.id}/workflow`)],
      ['GET line draws', (user) => api.get(user, `/credit-lines/${line.lineId}/draws`)],
      ['POST request', (user) => api.post(user, `/credit-lines/${line.lineId}/draws`, { amount: usd('10.00') })],
      ['POST approve', (user) => api.post(user, `/draws/${draw.id}/approve`)],
      ['POST reject', (user) => api.post(user, `/draws/${draw.id}/reject`)],
    ];
    for (const [name, call] of calls) {
      for (const outsider of [foreignLender.admin, foreignSeller.admin, line.world.warehouse.admin]) {
        const res = await call(outsider);
        expect([name, res.status, res.body.code]).toEqual([name, 404, 'not_found']);
      }
    }
    expect((await api.get(foreignLender.admin, '/draws/pending-approvals').expect(200)).body.items).toEqual([]);
    const listed = await api.get(line.world.seller.admin, `/credit-lines/${line.lineId}/draws`).expect(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([draw.id]);
    expect(await drawStatus(draw.id)).toBe('REQUESTED');
  });
});
