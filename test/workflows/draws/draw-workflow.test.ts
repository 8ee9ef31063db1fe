import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { InvariantViolation } from '../../../domain/errors';
import { Money } from '../../../domain/money';
import { inTransaction } from '../../../prisma/client';
import { DRAW_DECISION_SIGNAL_NAME, recordDecision, refuseUncoveredReservations } from '../../../prisma/draws/store';
import { lockLines } from '../../../prisma/locks';
import { lineCoverage } from '../../../prisma/custody/coverage';
import { borrowingBaseQuery } from '../../../prisma/custody/valuation';
import { decisionRecordedSignal, drawStateQuery } from '../../../workflows/draws/definitions';
import { createTestApi, type TestApi } from '../../support/api';
import { drawLine, lineBalances, type DrawLine } from '../../draws/factories';
import { replayHistories } from '../../support/wf-replay';
import { actorOf, committedDraw, drawWorkflowsPath, HOUR_MS, realActivities, scheduledActivities, startDrawWorkflow } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

async function decide(line: DrawLine, who: 'approverA' | 'approverB', drawId: string, decision: 'APPROVE' | 'REJECT') {
  return inTransaction(api.db.prisma, (tx) => recordDecision(tx, actorOf(line[who], 'LENDER', 'APPROVER'), drawId, { decision, reason: null, now: new Date() }));
}

async function drawRow(drawId: string) {
  return api.db.prisma.draw.findUniqueOrThrow({ where: { id: drawId } });
}

async function entriesOf(lineId: string) {
  const entries = await api.db.prisma.journalEntry.findMany({ where: { accountSetId: lineId }, orderBy: { seq: 'asc' } });
  return entries.map((entry) => entry.idempotencyKey);
}

async function notificationsOf(line: DrawLine) {
  const notes = await api.db.prisma.notification.findMany({ where: { organisationId: line.world.seller.organisationId }, orderBy: { createdAt: 'asc' } });
  return notes.map((note) => [note.kind, note.subjectId]);
}

async function reserved(line: DrawLine): Promise<string> {
  return Money.of((await borrowingBaseQuery(api.db.prisma, { lineId: line.lineId, now: new Date(), lotsPage: null })).reservedDraws, 'USD').toFixedString();
}

test('auto approval: a draw up to the first threshold is disbursed with its fee, posted once each', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '1000.00');
  expect(draw.requiredApprovals).toBe(0);
  expect(await reserved(line)).toBe('1000.00');
  const harness = await startDrawWorkflow(api, draw);
  const result = await harness.result();
  expect(result).toMatchObject({ phase: 'DISBURSED', approverUserIds: [], disbursementEntryId: expect.any(String), feeEntryId: expect.any(String) });
  expect(scheduledActivities(harness)).toEqual(['loadDraw', 'approveDraw', 'disburseDraw']);
  expect(await lineBalances(api, line.lineId)).toEqual({
    LOAN_PRINCIPAL: '1000.00', LENDER_FUNDING: '1000.00', FEES_RECEIVABLE: '25.00', FEE_INCOME: '25.00',
    INTEREST_RECEIVABLE: '0.00', INTEREST_INCOME: '0.00', COLLECTION: '0.00', SELLER_PAYABLE: '0.00',
  });
  expect(await entriesOf(line.lineId)).toEqual([`${draw.workflowId}:disburse`, `${draw.workflowId}:draw-fee`]);
  expect(await reserved(line)).toBe('0.00');
  const row = await drawRow(draw.id);
  expect([row.status, row.disbursementEntryId, row.feeEntryId]).toEqual(['DISBURSED', result.disbursementEntryId, result.feeEntryId]);
  expect(await notificationsOf(line)).toEqual([['draw.disbursed', draw.id]]);
  await harness.dispose();
});

test('single approval: the workflow waits, reads the tally on the signal, and disburses', async () => {
  const line = await drawLine(api, { perDrawFee: '12.50' });
  const draw = await committedDraw(api, line, '4000.00');
  const harness = await startDrawWorkflow(api, draw);
  expect(await harness.query(drawStateQuery)).toMatchObject({ phase: 'AWAITING_APPROVAL', requiredApprovals: 1, approverUserIds: [] });
  await harness.advanceTime(2 * HOUR_MS);
  await decide(line, 'approverA', draw.id, 'APPROVE');
  await harness.signal(decisionRecordedSignal);
  const result = await harness.result();
  expect(result).toMatchObject({ phase: 'DISBURSED', approverUserIds: [line.approverA.userId] });
  expect(scheduledActivities(harness)).toEqual(['loadDraw', 'decisionTally', 'approveDraw', 'disburseDraw']);
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '4000.00', LENDER_FUNDING: '4000.00', FEES_RECEIVABLE: '12.50', FEE_INCOME: '12.50' });
  await harness.dispose();
});

test('dual approval: one approval is not enough; a second, different approver approves it', async () => {
  const line = await drawLine(api, { perDrawFee: null });
  const draw = await committedDraw(api, line, '5000.01');
  expect(draw.requiredApprovals).toBe(2);
  const harness = await startDrawWorkflow(api, draw);
  await decide(line, 'approverA', draw.id, 'APPROVE');
  await harness.signal(decisionRecordedSignal);
  expect(await harness.query(drawStateQuery)).toMatchObject({ phase: 'AWAITING_APPROVAL', approverUserIds: [line.approverA.userId] });
  expect((await drawRow(draw.id)).status).toBe('REQUESTED');
  await expect(decide(line, 'approverA', draw.id, 'APPROVE')).rejects.toMatchObject({ code: 'conflict' });
  await decide(line, 'approverB', draw.id, 'APPROVE');
  await harness.signal(decisionRecordedSignal);
  expect(await harness.result()).toMatchObject({ phase: 'DISBURSED', approverUserIds: [line.approverA.userId, line.approverB.userId], feeEntryId: null });
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '5000.01', LENDER_FUNDING: '5000.01', FEES_RECEIVABLE: '0.00' });
  expect(await entriesOf(line.lineId)).toEqual([`${draw.workflowId}:disburse`]);
  await harness.dispose();
});

test('rejection: one rejection rejects the draw, releases the reservation, tells the seller, posts nothing', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '6000.00');
  const harness = await startDrawWorkflow(api, draw);
  await decide(line, 'approverA', draw.id, 'APPROVE');
  await decide(line, 'approverB', draw.id, 'REJECT');
  await harness.signal(decisionRecordedSignal);
  expect(await harness.result()).toMatchObject({ phase: 'REJECTED', rejectedByUserId: line.approverB.userId });
  expect((await drawRow(draw.id)).status).toBe('REJECTED');
  expect(await reserved(line)).toBe('0.00');
  expect(await entriesOf(line.lineId)).toEqual([]);
  expect(await notificationsOf(line)).toEqual([['draw.rejected', draw.id]]);
  await harness.dispose();
});

test('self-approval is refused: a lender user who requested a draw cannot approve it', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '3000.00');
  // Requests come from sellers; a draw recorded as requested by a lender approver proves the rule holds on its own.
  await api.db.sql(`UPDATE draw SET requested_by_user_id = $1 WHERE id = $2`, [line.approverA.userId, draw.id]);
  await expect(decide(line, 'approverA', draw.id, 'APPROVE')).rejects.toMatchObject({
    code: 'self_approval',
    message: `user ${line.approverA.userId} requested this draw and cannot also approve it`,
  });
  expect(await api.db.prisma.drawDecision.count({ where: { drawId: draw.id } })).toBe(0);
});

test('expiry: no approval within the window expires the draw at the deadline and tells the seller', async () => {
  const line = await drawLine(api, { approvalWindowHours: 6 });
  const draw = await committedDraw(api, line, '3000.00');
  const harness = await startDrawWorkflow(api, draw);
  await harness.advanceTime(6 * HOUR_MS - 60_000);
  expect((await drawRow(draw.id)).status).toBe('REQUESTED');
  expect(await reserved(line)).toBe('3000.00');
  await harness.advanceTime(60_000);
  expect(await harness.result()).toMatchObject({ phase: 'EXPIRED', approverUserIds: [] });
  expect(scheduledActivities(harness)).toEqual(['loadDraw', 'decisionTally', 'expireDraw']);
  expect(await reserved(line)).toBe('0.00');
  expect(await notificationsOf(line)).toEqual([['draw.expired', draw.id]]);
  await harness.dispose();
});

test('a decision whose signal was lost is still honoured at the deadline', async () => {
  const line = await drawLine(api, { approvalWindowHours: 6 });
  const draw = await committedDraw(api, line, '3000.00');
  const harness = await startDrawWorkflow(api, draw);
  await decide(line, 'approverA', draw.id, 'APPROVE');
  expect(await harness.result()).toMatchObject({ phase: 'DISBURSED', approverUserIds: [line.approverA.userId] });
  await harness.dispose();
});

test('frozen line: an approved draw is re-checked at disbursement, refused with the reason, and nothing is posted', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '3000.00');
  const harness = await startDrawWorkflow(api, draw);
  await api.post(line.approverB, `/credit-lines/${line.lineId}/freeze`).expect(200);
  await decide(line, 'approverA', draw.id, 'APPROVE');
  await harness.signal(decisionRecordedSignal);
  const result = await harness.result();
  expect(result).toMatchObject({ phase: 'REFUSED', refusalReason: `credit_line_not_active: credit line ${line.lineId} is FROZEN; draws are made only on an ACTIVE line` });
  expect((await drawRow(draw.id)).status).toBe('REFUSED');
  expect(await entriesOf(line.lineId)).toEqual([]);
  expect(await reserved(line)).toBe('0.00');
  expect(await notificationsOf(line)).toEqual([['draw.refused', draw.id]]);
  await harness.dispose();
});

test('matured line: a draw approved after maturity is refused', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '800.00');
  await api.db.sql(`UPDATE credit_line SET maturity_date = current_date - 1 WHERE id = $1`, [line.lineId]);
  const harness = await startDrawWorkflow(api, draw);
  expect(await harness.result()).toMatchObject({ phase: 'REFUSED', refusalReason: expect.stringMatching(/^credit_line_matured: /) });
  expect(await entriesOf(line.lineId)).toEqual([]);
  await harness.dispose();
});

test('an activity run twice after it committed is a no-op returning the same result', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '900.00');
  const activities = realActivities(api);
  expect(await activities.approveDraw({ drawId: draw.id })).toBe('APPROVED');
  expect(await activities.approveDraw({ drawId: draw.id })).toBe('APPROVED');
  const first = await activities.disburseDraw({ drawId: draw.id, effectiveDate: '2026-11-23' });
  const second = await activities.disburseDraw({ drawId: draw.id, effectiveDate: '2026-11-23' });
  expect(second).toEqual(first);
  expect(await activities.expireDraw({ drawId: draw.id })).toBe('DISBURSED');
  expect(await entriesOf(line.lineId)).toEqual([`${draw.workflowId}:disburse`, `${draw.workflowId}:draw-fee`]);
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '900.00', FEES_RECEIVABLE: '25.00' });
  expect(await notificationsOf(line)).toEqual([['draw.disbursed', draw.id]]);
  const audits = await api.db.prisma.auditRecord.findMany({ where: { targetId: draw.id }, orderBy: { seq: 'asc' } });
  expect(audits.map((audit) => audit.action)).toEqual(['draw.requested', 'draw.approved', 'draw.disbursed']);
});

test('an activity that crashed after its write and before reporting success is retried and posts nothing twice', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '700.00');
  const real = realActivities(api);
  const attempts: number[] = [];
  const harness = await startDrawWorkflow(api, draw, {
    ...real,
    disburseDraw: async (input: Parameters<typeof real.disburseDraw>[0]) => {
      const attempt = Context.current().info.attempt;
      attempts.push(attempt);
      const result = await real.disburseDraw(input);
      if (attempt === 1) throw new Error('worker lost after the disbursement committed');
      return result;
    },
  });
  const result = await harness.result();
  expect(attempts).toEqual([1, 2]);
  expect(result.phase).toBe('DISBURSED');
  expect(await entriesOf(line.lineId)).toEqual([`${draw.workflowId}:disburse`, `${draw.workflowId}:draw-fee`]);
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '700.00', LENDER_FUNDING: '700.00', FEES_RECEIVABLE: '25.00', FEE_INCOME: '25.00' });
  expect((await drawRow(draw.id)).disbursementEntryId).toBe(result.disbursementEntryId);
  await harness.dispose();
});

test('a workflow whose draw never commits gives up after its bounded retries and ends ABANDONED', async () => {
  const harness = await startDrawWorkflow(api, { id: '00000000-0000-4000-8000-00000000d1a0', workflowId: 'draw-never-committed' });
  const result = await harness.result();
  expect(result.phase).toBe('ABANDONED');
  expect(scheduledActivities(harness)).toEqual(['loadDraw']);
  await harness.dispose();
});

test('a domain error in an activity is not retried: the workflow fails at once', async () => {
  const line = await drawLine(api);
  const draw = await committedDraw(api, line, '500.00');
  const real = realActivities(api);
  let calls = 0;
  const harness = await startDrawWorkflow(api, draw, {
    ...real,
    disburseDraw: async () => {
      calls += 1;
      throw new InvariantViolation('the line has its ledger accounts');
    },
  });
  await expect(harness.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  expect(calls).toBe(1);
  await harness.dispose();
});

test('a reservation refused while it waits for approvers: the signal wakes the workflow, which finishes REFUSED at once', async () => {
  const line = await drawLine(api, { perDrawFee: null });
  const draw = await committedDraw(api, line, '4000.00');
  const harness = await startDrawWorkflow(api, draw);
  expect(await harness.query(drawStateQuery)).toMatchObject({ phase: 'AWAITING_APPROVAL', requiredApprovals: 1 });
  await harness.advanceTime(HOUR_MS);
  // 9 500 kg spoiled (a physical fact: recorded, reservations wait): 500 × 3.125 × 0.8 × 0.5 = 625.00 − 4 000.00 = −3 375.00.
  // Then the line's reservations are re-checked as after a change nobody could refuse.
  const before = await lineCoverage(api.db.prisma, line.lineId, new Date());
  await api.post(line.world.warehouse.admin, `/lots/${line.lotId}/adjustments`, { quantityDelta: { amount: '-9500', unit: 'kg' }, kind: 'SPOILAGE', reason: 'cold room failure' }).expect(201);
  const refused = await inTransaction(api.db.prisma, async (tx) => {
    await lockLines(tx, [line.lineId]);
    return refuseUncoveredReservations(tx, { before, now: new Date(), cause: 'a test', actor: null });
  });
  const reason =
    'coverage_insufficient: a test: availability fell to -3 375.00 USD (outstanding principal 0.00 USD, reserved draws 4 000.00 USD); reserved draws the line no longer covers are refused, newest first';
  expect(refused).toEqual([{ drawId: draw.id, workflowId: draw.workflowId, amount: Money.of('4000.00', 'USD'), reason }]);
  // The outbox row written with the refusal is the signal the workflow gets.
  const [signal] = await api.db.sql<{ signal_name: string }>(`SELECT signal_name FROM workflow_outbox WHERE workflow_id = $1 AND kind = 'SIGNAL'`, [draw.workflowId]);
  expect(signal.signal_name).toBe(decisionRecordedSignal.name);
  expect(DRAW_DECISION_SIGNAL_NAME).toBe(decisionRecordedSignal.name);
  const signalledAt = harness.nowMs;
  await harness.signal(decisionRecordedSignal);
  expect(harness.outcome.status).toBe('completed');
  expect(await harness.result()).toMatchObject({ phase: 'REFUSED', refusalReason: reason, approverUserIds: [] });
  // Finished on the signal, not at the approval deadline 23 hours later, and nothing expired or disbursed.
  expect(harness.nowMs).toBe(signalledAt);
  expect(scheduledActivities(harness)).toEqual(['loadDraw', 'decisionTally']);
  expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00', LENDER_FUNDING: '0.00' });
  // The new path is behind patched(): its history carries the marker, and replays deterministically.
  const history = harness.history();
  const markers = (history.events ?? []).flatMap((event) => (event.markerRecordedEventAttributes ? [event.markerRecordedEventAttributes] : []));
  expect(markers.map((marker) => [marker.markerName, Buffer.from(marker.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString()])).toEqual([
    ['core_patch', JSON.stringify({ id: 'draw-wait-exits-when-no-longer-requested', deprecated: false })],
  ]);
  const [replayed] = await replayHistories(drawWorkflowsPath, [{ name: 'refused-while-waiting', workflowId: draw.workflowId, history }]);
  expect(replayed.error).toBeUndefined();
  await harness.dispose();
});
