/**
 * Every Godown workflow on a REAL Temporal server (the run's `temporal server start-dev`,
 * test/support/temporal-server.ts) with a real Worker running workflows/index and every
 * activity against this file's real PostgreSQL database. Requests go through the API, whose
 * transactional outbox starts and signals the workflows after commit, as in production.
 *
 * The real server has no time skipping. Where a scenario needs a deadline to pass, the test
 * moves the deadline the workflow reads from the database (a draw's approval deadline, a
 * margin call's cure deadline) to a few seconds away, or reports the sale with a due date
 * already past — data a test may set up, not a branch in the code. The same scenarios run in
 * the offline harness under test/workflows/ with virtual time and the same figures.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { D, Money } from '../../domain/money';
import { inTransaction } from '../../prisma/client';
import { requestDraw } from '../../prisma/draws/store';
import { lineMarginWorkflowId } from '../../prisma/margin/store';
import { reportSale } from '../../prisma/sales/store';
import { decisionRecordedSignal, drawStateQuery, type DrawWorkflowResult } from '../../workflows/draws/definitions';
import { lineMarginStateQuery, type LineMarginState } from '../../workflows/margin/workflows';
import { dispatchOutbox } from '../../workflows/outbox/dispatcher';
import { TransactionOutbox } from '../../workflows/outbox/transaction-outbox';
import {
  DEFAULT_RELEASE_POLL_INTERVAL_MS,
  DEFAULT_RELEASE_REMINDER_AFTER_MS,
  SALE_SETTLEMENT_WORKFLOW,
  custodyChangedSignal,
  saleSettlementPhaseQuery,
  type SaleSettlementArgs,
} from '../../workflows/sales/definitions';
import pino from 'pino';
import { createTestApi, type TestApi } from '../support/api';
import { describeWithTemporalServer, eventually, startRealGodownTemporal, type RealGodownTemporal } from '../support/wf-server';
import { drawLine, lineBalances as drawBalances, type DrawLine } from '../draws/factories';
import { balancesOf, draw as postDraw, lineStatus, liveCall, mark, marginWorld, pledgedLot, repay, type MarginWorld } from '../margin/support';
import { DAY_MS, isoDay, lineBalances, postOnLine, salesWorld, type SalesWorld } from '../sales/world';

describeWithTemporalServer('every workflow on a real Temporal server', (server) => {
  let api: TestApi;
  let real: RealGodownTemporal;

  beforeAll(async () => {
    const taskQueue = `godown-real-${process.pid}-${Date.now()}`;
    api = await createTestApi({
      temporal: async (databaseUrl) => {
        real = await startRealGodownTemporal(server(), { databaseUrl, taskQueue });
        return real.temporal;
      },
    });
  }, 60_000);
  afterAll(() => api?.close());

  const handle = (workflowId: string) => real.client.workflow.getHandle(workflowId);

  // ── Draw approval ────────────────────────────────────────────────────────────────────────
  describe('draw approval', () => {
    async function requestedDraw(line: DrawLine, amount: string): Promise<{ id: string; workflowId: string; requiredApprovals: number }> {
      const res = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: { amount, currency: 'USD' } });
      expect(res.status).toBe(201);
      // The outbox started its workflow before the API answered.
      expect((await handle(res.body.workflowId).describe()).type).toBe('drawWorkflow');
      return res.body;
    }
    const phase = (workflowId: string) => handle(workflowId).query(drawStateQuery);
    const decide = (line: DrawLine, who: 'approverA' | 'approverB', drawId: string, verb: 'approve' | 'reject') => api.post(line[who], `/draws/${drawId}/${verb}`, {}).expect(200);

    test('auto: up to the first threshold the draw is disbursed with its fee, with no approver', async () => {
      const line = await drawLine(api);
      const draw = await requestedDraw(line, '1000.00');
      expect(draw.requiredApprovals).toBe(0);
      const result: DrawWorkflowResult = await handle(draw.workflowId).result();
      expect(result).toMatchObject({ phase: 'DISBURSED', approverUserIds: [], disbursementEntryId: expect.any(String), feeEntryId: expect.any(String) });
      expect(await drawBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '1000.00', LENDER_FUNDING: '1000.00', FEES_RECEIVABLE: '25.00', FEE_INCOME: '25.00' });
      expect((await api.get(line.sellerOperator, `/draws/${draw.id}`).expect(200)).body.status).toBe('DISBURSED');
    });

    test('single: the workflow waits for one approver, is signalled through the outbox, and disburses', async () => {
      const line = await drawLine(api, { perDrawFee: '12.50' });
      const draw = await requestedDraw(line, '4000.00');
      await eventually(() => phase(draw.workflowId), (state) => state.phase === 'AWAITING_APPROVAL', 'awaiting approval');
      expect(await phase(draw.workflowId)).toMatchObject({ requiredApprovals: 1, approverUserIds: [] });
      await decide(line, 'approverA', draw.id, 'approve');
      expect(await handle(draw.workflowId).result()).toMatchObject({ phase: 'DISBURSED', approverUserIds: [line.approverA.userId] });
      expect(await drawBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '4000.00', LENDER_FUNDING: '4000.00', FEES_RECEIVABLE: '12.50', FEE_INCOME: '12.50' });
    });

    test('dual: one approval is not enough; a second, different approver releases it', async () => {
      const line = await drawLine(api, { perDrawFee: null });
      const draw = await requestedDraw(line, '5000.01');
      expect(draw.requiredApprovals).toBe(2);
      await decide(line, 'approverA', draw.id, 'approve');
      await eventually(() => phase(draw.workflowId), (state) => state.approverUserIds.length === 1, 'first approval read');
      expect(await phase(draw.workflowId)).toMatchObject({ phase: 'AWAITING_APPROVAL', approverUserIds: [line.approverA.userId] });
      await decide(line, 'approverB', draw.id, 'approve');
      expect(await handle(draw.workflowId).result()).toMatchObject({ phase: 'DISBURSED', approverUserIds: [line.approverA.userId, line.approverB.userId], feeEntryId: null });
      expect(await drawBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '5000.01', LENDER_FUNDING: '5000.01', FEES_RECEIVABLE: '0.00' });
    });

    test('rejection: one rejection rejects the draw and posts nothing', async () => {
      const line = await drawLine(api);
      const draw = await requestedDraw(line, '6000.00');
      await decide(line, 'approverB', draw.id, 'reject');
      expect(await handle(draw.workflowId).result()).toMatchObject({ phase: 'REJECTED', rejectedByUserId: line.approverB.userId });
      expect((await api.get(line.sellerOperator, `/draws/${draw.id}`).expect(200)).body.status).toBe('REJECTED');
      expect(await drawBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '0.00', FEES_RECEIVABLE: '0.00' });
      const told = await api.db.prisma.notification.findMany({ where: { organisationId: line.world.seller.organisationId, subjectId: draw.id } });
      expect(told.map((note) => note.kind)).toEqual(['draw.rejected']);
    });

    test('expiry: with nobody deciding, the durable timer fires at the approval deadline and the draw expires', async () => {
      const line = await drawLine(api, { approvalWindowHours: 6 });
      const actor = { userId: line.sellerOperator.userId, organisationId: line.sellerOperator.organisationId, organisationKind: 'SELLER' as const, role: 'OPERATOR' as const, requestId: null };
      const draw = await inTransaction(api.db.prisma, (tx) => requestDraw(tx, actor, line.lineId, { amount: Money.of('3000.00', 'USD'), purpose: null, lotId: null, now: new Date() }));
      // The window is whole hours; the deadline the workflow reads is moved to 3 s from now.
      await api.db.sql(`UPDATE draw SET approval_deadline = now() + interval '3 seconds' WHERE id = $1`, [draw.id]);
      const started = Date.now();
      const run = await real.client.workflow.start('drawWorkflow', { taskQueue: real.taskQueue, workflowId: draw.workflowId, args: [{ drawId: draw.id }] });
      expect(await run.result()).toMatchObject({ phase: 'EXPIRED', approverUserIds: [] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      expect((await api.get(line.sellerOperator, `/draws/${draw.id}`).expect(200)).body.status).toBe('EXPIRED');
      const told = await api.db.prisma.notification.findMany({ where: { organisationId: line.world.seller.organisationId, subjectId: draw.id } });
      expect(told.map((note) => note.kind)).toEqual(['draw.expired']);
      // A signal to a closed workflow is refused by the server (the outbox treats it as done).
      await expect(run.signal(decisionRecordedSignal)).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });
  });

  // ── Sale settlement ──────────────────────────────────────────────────────────────────────
  describe('sale settlement (canonical cold store: 12 000.00 drawn, 120.00 interest, fee on sale 1 200.00)', () => {
    const now = Date.now();
    const today = isoDay(now);

    async function drawnLine(): Promise<SalesWorld> {
      const world = await salesWorld(api);
      await postOnLine(api, world, { debit: 'LOAN_PRINCIPAL', credit: 'LENDER_FUNDING', amount: '12000.00', effectiveDate: isoDay(now - 30 * DAY_MS), description: 'Draw disbursed' });
      await postOnLine(api, world, { debit: 'INTEREST_RECEIVABLE', credit: 'INTEREST_INCOME', amount: '120.00', effectiveDate: isoDay(now - DAY_MS), description: 'Interest accrued, 30 days' });
      return world;
    }
    async function reportedSale(world: SalesWorld) {
      const res = await api.post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
        buyerOrganisationId: world.buyer.organisationId,
        items: [{ lotId: world.lotId, quantity: { amount: '20000', unit: 'kg' } }],
        pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
        paymentDueDate: isoDay(now + 30 * DAY_MS),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ totalPrice: { amount: '26000.00', currency: 'USD' }, feeOnSale: { amount: '1200.00', currency: 'USD' }, status: 'OPEN' });
      return res.body as { id: string; workflowId: string };
    }
    const pay = (world: SalesWorld, saleId: string, amount: string) =>
      api.post(world.custody.lender.admin, `/sales/${saleId}/payments`, { amount: { amount, currency: 'USD' }, receivedOn: today, reference: `wire ${amount}` });
    const salePhase = (workflowId: string) => handle(workflowId).query(saleSettlementPhaseQuery);

    async function confirmRelease(world: SalesWorld, saleId: string): Promise<string> {
      const detail = await api.get(world.custody.seller.admin, `/sales/${saleId}`).expect(200);
      expect(detail.body.status).toBe('RELEASE_AUTHORISED');
      const releaseOrderId = detail.body.items[0].releaseOrderId as string;
      await api.post(world.custody.warehouse.admin, `/release-orders/${releaseOrderId}/confirmations`, { quantity: { amount: '20000', unit: 'kg' }, releasedAt: new Date().toISOString() }).expect(201);
      return releaseOrderId;
    }

    test('full payment: the waterfall, release authorised by the workflow, the warehouse confirms, the sale closes', async () => {
      const world = await drawnLine();
      const sale = await reportedSale(world);
      expect(await salePhase(sale.workflowId)).toBe('awaiting-payment');
      const paid = await pay(world, sale.id, '26000.00');
      expect(paid.status).toBe(201);
      expect(paid.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '12000.00', currency: 'USD' }, toSeller: { amount: '12680.00', currency: 'USD' } });
      await eventually(() => salePhase(sale.workflowId), (phase) => phase === 'awaiting-release', 'release authorised');
      const releaseOrderId = await confirmRelease(world, sale.id);
      // The release confirmation wakes the workflow through the outbox (else it would find it at its next hourly poll).
      expect(await handle(sale.workflowId).result()).toEqual({ saleId: sale.id, outcome: 'CLOSED', releaseOrderIds: [releaseOrderId], releaseReminded: false });
      expect((await api.get(world.buyer.admin, `/sales/${sale.id}`).expect(200)).body.status).toBe('CLOSED');
      expect(await lineBalances(api, world)).toEqual({
        COLLECTION: '26000.00', FEES_RECEIVABLE: '0.00', FEE_INCOME: '1200.00', INTEREST_INCOME: '120.00',
        INTEREST_RECEIVABLE: '0.00', LENDER_FUNDING: '12000.00', LOAN_PRINCIPAL: '0.00', SELLER_PAYABLE: '12680.00',
      });
    });

    test('partial payments: the first leaves the sale open, the second settles it and releases the goods', async () => {
      const world = await drawnLine();
      const sale = await reportedSale(world);
      const first = await pay(world, sale.id, '10000.00');
      expect(first.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '8680.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
      // The workflow was woken, re-read the sale, and still waits for payment.
      await eventually(() => handle(sale.workflowId).fetchHistory(), (history) => (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes).length === 1, 'payment signal');
      await eventually(() => salePhase(sale.workflowId), (phase) => phase === 'awaiting-payment', 'still awaiting payment');
      const second = await pay(world, sale.id, '16000.00');
      expect(second.body.allocation).toEqual({ fees: { amount: '0.00', currency: 'USD' }, interest: { amount: '0.00', currency: 'USD' }, principal: { amount: '3320.00', currency: 'USD' }, toSeller: { amount: '12680.00', currency: 'USD' } });
      await eventually(() => salePhase(sale.workflowId), (phase) => phase === 'awaiting-release', 'release authorised');
      await confirmRelease(world, sale.id);
      expect(await handle(sale.workflowId).result()).toMatchObject({ outcome: 'CLOSED', releaseReminded: false });
      const balances = await lineBalances(api, world);
      expect([balances.LOAN_PRINCIPAL, balances.FEES_RECEIVABLE, balances.SELLER_PAYABLE, balances.COLLECTION, balances.FEE_INCOME]).toEqual(['0.00', '0.00', '12680.00', '26000.00', '1200.00']);
    });

    test('lapse: a sale due yesterday and paid in part lapses at once; the payment stays applied, the goods stay pledged', async () => {
      const world = await drawnLine();
      const yesterday = isoDay(now - DAY_MS);
      const seller = { userId: world.custody.seller.admin.userId, organisationId: world.custody.seller.organisationId, organisationKind: 'SELLER' as const, role: 'ADMIN' as const, requestId: null };
      // Reported yesterday, due yesterday: written with its outbox row as the route does, started by the dispatcher.
      const { sale, outboxIds } = await inTransaction(api.db.prisma, async (tx) => {
        const reported = await reportSale(tx, seller, world.line.id, {
          buyerOrganisationId: world.buyer.organisationId, currency: 'USD', items: [{ lotId: world.lotId, quantity: new D('20000') }],
          pricePerUnit: new D('1.30'), totalPrice: undefined, paymentDueDate: yesterday, today: yesterday, now: new Date(now - DAY_MS),
        });
        const outbox = new TransactionOutbox(tx, { requestId: null, taskQueue: real.taskQueue, now: new Date() });
        const args: SaleSettlementArgs = { saleId: reported.id, paymentDueDate: yesterday, releaseReminderAfterMs: DEFAULT_RELEASE_REMINDER_AFTER_MS, releasePollIntervalMs: DEFAULT_RELEASE_POLL_INTERVAL_MS };
        await outbox.start(SALE_SETTLEMENT_WORKFLOW, { workflowId: reported.workflowId, args: [args] });
        return { sale: reported, outboxIds: outbox.written };
      });
      // 5 000.00 paid before its workflow runs → fees 1 200.00, interest 120.00, principal 3 680.00
      const part = await pay(world, sale.id, '5000.00');
      expect(part.body.allocation).toEqual({ fees: { amount: '1200.00', currency: 'USD' }, interest: { amount: '120.00', currency: 'USD' }, principal: { amount: '3680.00', currency: 'USD' }, toSeller: { amount: '0.00', currency: 'USD' } });
      expect(await dispatchOutbox({ prisma: api.db.prisma, temporal: real.temporal, logger: pino({ level: 'silent' }) }, { onlyIds: outboxIds })).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
      expect(await handle(sale.workflowId).result()).toEqual({ saleId: sale.id, outcome: 'LAPSED', releaseOrderIds: [], releaseReminded: false });
      const lapsed = await api.get(world.custody.seller.admin, `/sales/${sale.id}`).expect(200);
      expect(lapsed.body).toMatchObject({ status: 'LAPSED', amountPaid: { amount: '5000.00', currency: 'USD' }, remainingDue: { amount: '21000.00', currency: 'USD' } });
      // Principal 12 000.00 − 3 680.00 = 8 320.00 still owed; the payment stays applied.
      const balances = await lineBalances(api, world);
      expect([balances.LOAN_PRINCIPAL, balances.INTEREST_RECEIVABLE, balances.FEES_RECEIVABLE, balances.COLLECTION]).toEqual(['8320.00', '0.00', '0.00', '5000.00']);
      const lot = await api.get(world.custody.lender.admin, `/lots/${world.lotId}`).expect(200);
      expect(lot.body.pledgedToCreditLineId).toBe(world.line.id);
      const told = await api.db.sql<{ organisation_id: string }>(`SELECT organisation_id::text FROM notification WHERE subject_id = $1 AND kind = 'sale.lapsed' ORDER BY organisation_id`, [sale.id]);
      expect(told.map((row) => row.organisation_id)).toEqual([world.custody.seller.organisationId, world.custody.lender.organisationId, world.buyer.organisationId].sort());
    });
  });

  // ── Margin calls ─────────────────────────────────────────────────────────────────────────
  describe('margin call (10 800.00 owed on 15 000.00 of collateral: LTV 0.72, cure period 48 h)', () => {
    /** The mark falls to 20.00 through the API: the outbox starts the line's margin workflow, which opens a call. */
    async function fallenLine(): Promise<MarginWorld & { lotId: string; callRun: WorkflowHandle; callRunId: string }> {
      const world = await marginWorld(api);
      await postDraw(api, world.lineId, '10800.00');
      const lotId = await pledgedLot(api, world, '1000');
      await mark(api, world, '20.00');
      await eventually(() => marginState(world.lineId), (state) => state?.status === 'OPEN', 'margin call opened');
      // The run that holds the open call. Once it ends (cured), a later revaluation of the line starts a new
      // run under the same id that finds nothing to do: a handle by id alone may answer that run's NONE.
      const { runId } = await handle(lineMarginWorkflowId(world.lineId)).describe();
      return { ...world, lotId, callRunId: runId, callRun: real.client.workflow.getHandle(lineMarginWorkflowId(world.lineId), runId) };
    }
    async function marginState(lineId: string): Promise<LineMarginState | null> {
      try {
        return await handle(lineMarginWorkflowId(lineId)).query(lineMarginStateQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
    }

    test('cured by repayment: the repayment revalues the line through the outbox, the call is cured, the workflow completes', async () => {
      const world = await fallenLine();
      await repay(api, world, '4050.00');
      expect(await world.callRun.result()).toMatchObject({ status: 'CURED', lastStep: 'CURE' });
      // A later revaluation of the line (through the outbox, as every writer asks for one) starts a new run under
      // the line's id: it finds no call and ends at once. The cured run's outcome stands; only a handle by id
      // alone reads the new run's NONE (which made this test flaky when a second revaluation followed the cure).
      const later = await inTransaction(api.db.prisma, async (tx) => {
        const outbox = new TransactionOutbox(tx, { requestId: null, taskQueue: real.taskQueue, now: new Date() });
        await outbox.revalueLines([world.lineId], 'DAILY_CHECK');
        return outbox.written;
      });
      expect(await dispatchOutbox({ prisma: api.db.prisma, temporal: real.temporal, logger: pino({ level: 'silent' }) }, { onlyIds: later })).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
      const id = lineMarginWorkflowId(world.lineId);
      await eventually(async () => (await handle(id).describe()).runId, (runId) => runId !== world.callRunId, 'a new run of the line');
      expect(await handle(id).result()).toMatchObject({ status: 'NONE', lastStep: 'NONE' });
      expect(await world.callRun.result()).toMatchObject({ status: 'CURED', lastStep: 'CURE' });
      expect((await balancesOf(api, world.lineId)).LOAN_PRINCIPAL).toBe('6750.00');
      expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'CURED' });
      expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    });

    test('cured by pledge: 600 kg more pledged cures the call', async () => {
      const world = await fallenLine();
      await pledgedLot(api, world, '600');
      expect(await world.callRun.result()).toMatchObject({ status: 'CURED' });
      expect(await liveCall(api, world.lineId)).toMatchObject({ status: 'CURED' });
      expect(await lineStatus(api, world.lineId)).toBe('ACTIVE');
    });

    test('liquidation: uncured at the cure deadline, the durable timer fires and the line goes into liquidation', async () => {
      const world = await fallenLine();
      // The cure period is whole hours; the deadline the workflow re-reads is moved to 2 s from now, and it is told.
      await api.db.sql(`UPDATE margin_call SET cure_deadline = now() + interval '2 seconds' WHERE credit_line_id = $1 AND status = 'OPEN'`, [world.lineId]);
      await handle(lineMarginWorkflowId(world.lineId)).signal('revalueLine', 'DAILY_CHECK');
      const state = await eventually(() => marginState(world.lineId), (s) => s?.status === 'LIQUIDATING', 'liquidation', 30_000);
      expect(state).toMatchObject({ lastStep: 'LIQUIDATE', cureDeadline: null });
      expect(await lineStatus(api, world.lineId)).toBe('IN_DEFAULT');
      expect((await liveCall(api, world.lineId))!.liquidationReason).toBe('CURE_DEADLINE_PASSED');
    });
  });

  // ── The outbox dispatcher ─────────────────────────────────────────────────────────────────
  describe('workflow outbox', () => {
    test('a row written in a transaction is started once; dispatching it again finds it started and records it done', async () => {
      const world = await marginWorld(api);
      const ids = await inTransaction(api.db.prisma, async (tx) => {
        const outbox = new TransactionOutbox(tx, { requestId: null, taskQueue: real.taskQueue, now: new Date() });
        await outbox.revalueLines([world.lineId], 'PRICE_MARK');
        return outbox.written;
      });
      const deps = { prisma: api.db.prisma, temporal: real.temporal, logger: pino({ level: 'silent' }) };
      expect(await dispatchOutbox(deps, { onlyIds: ids })).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
      expect(await handle(lineMarginWorkflowId(world.lineId)).result()).toMatchObject({ status: 'NONE', evaluations: 1 });
      // Dispatched rows are not claimed again.
      expect(await dispatchOutbox(deps, { onlyIds: ids })).toEqual({ claimed: 0, dispatched: 0, failed: 0 });
      const [row] = await api.db.sql<{ dispatched_at: Date | null; attempts: number }>(`SELECT dispatched_at, attempts FROM workflow_outbox WHERE id = $1`, [ids[0].toString()]);
      expect(row.dispatched_at).not.toBeNull();
    });
  });
});
