/**
 * The production worker (workflows/worker.ts startWorker: its own bundle of workflows/index,
 * every activity, the schedules) on a REAL Temporal server: it creates the accrual,
 * margin-check and stock-count schedules at start-up, once; a restart brings them up to date
 * without duplicating them; each schedule, triggered on demand, runs its workflow on this
 * worker against this file's PostgreSQL; a shutdown stops polling, and a workflow started
 * while no worker runs is picked up by the next one.
 */
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { ACCRUAL_SCHEDULE_ID } from '../../workflows/accrual/schedule';
import { ConnectedTemporal } from '../../workflows/connection';
import { DAILY_MARGIN_CHECK_SCHEDULE_ID, STOCK_COUNT_MONITOR_SCHEDULE_ID } from '../../workflows/margin/schedules';
import { startWorker, type RunningWorker } from '../../workflows/worker';
import { createTestApi, type TestApi } from '../support/api';
import { describeWithTemporalServer, eventually } from '../support/wf-server';
import { createParties, draw as accrualDraw, openLine } from '../accrual/factories';
import { drawLine } from '../draws/factories';
import { draw as postDraw, liveCall, mark, marginWorld, pledgedLot } from '../margin/support';

const SCHEDULE_IDS = [ACCRUAL_SCHEDULE_ID, DAILY_MARGIN_CHECK_SCHEDULE_ID, STOCK_COUNT_MONITOR_SCHEDULE_ID];
const DAY_MS = 86_400_000;

describeWithTemporalServer('the worker and its schedules on a real Temporal server', (server) => {
  let api: TestApi;
  let temporal: ConnectedTemporal;
  let client: Client;
  let prisma: PrismaClient;
  let worker: RunningWorker | null = null;
  const logged: Array<{ msg: string; schedule?: string; outcome?: string }> = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    }),
  );
  const taskQueue = `godown-worker-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    const connection = await Connection.connect({ address: server().address });
    client = new Client({ connection, namespace: server().namespace });
    // Schedules are the namespace's: start from none, as on a fresh server.
    for (const scheduleId of SCHEDULE_IDS) await client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    api = await createTestApi({
      temporal: (databaseUrl) => {
        prisma = createPrismaClient(databaseUrl, { poolMax: 5 });
        temporal = new ConnectedTemporal(connection, client, server().address, server().namespace, taskQueue);
        return temporal;
      },
    });
  });
  afterAll(async () => {
    await worker?.shutdown();
    await prisma?.$disconnect();
    await api?.close();
  });

  const outcomes = () => logged.filter((entry) => entry.msg === 'Temporal schedule ensured').map((entry) => `${entry.schedule}: ${entry.outcome}`);
  /**
   * Our schedules as the server lists them. Listing goes through Temporal's visibility store, which
   * is eventually consistent: a schedule created a moment ago may not be listed yet, so wait until
   * as many are listed as exist (a schedule id is unique, so a duplicate could only show as more).
   */
  const ourSchedules = () =>
    eventually(
      async () => {
        const ids: string[] = [];
        for await (const schedule of client.schedule.list()) if (SCHEDULE_IDS.includes(schedule.scheduleId)) ids.push(schedule.scheduleId);
        return ids.sort();
      },
      (ids) => ids.length >= SCHEDULE_IDS.length,
      'every schedule listed',
    );
  /** Triggers the schedule now and waits for the run it started. */
  const trigger = async <T>(scheduleId: string): Promise<T> => {
    const schedule = client.schedule.getHandle(scheduleId);
    const before = (await schedule.describe()).info.numActionsTaken;
    await schedule.trigger();
    const described = await eventually(() => schedule.describe(), (d) => d.info.numActionsTaken > before, `${scheduleId} triggered`);
    const taken = described.info.recentActions.at(-1)!.action.workflow;
    return client.workflow.getHandle(taken.workflowId, taken.firstExecutionRunId).result() as Promise<T>;
  };

  test('start-up: the worker polls, and creates the three schedules with their specs and task queue', async () => {
    worker = await startWorker({ temporal, prisma, logger });
    expect(outcomes()).toEqual(['daily interest accrual: created', 'daily margin check: created', 'stock-count monitor: created']);
    expect(await ourSchedules()).toEqual([...SCHEDULE_IDS].sort());
    const accrual = await client.schedule.getHandle(ACCRUAL_SCHEDULE_ID).describe();
    expect(accrual.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dailyAccrualWorkflow', taskQueue });
    expect(accrual.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] })]);
    expect(accrual.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 3 * DAY_MS });
    const check = await client.schedule.getHandle(DAILY_MARGIN_CHECK_SCHEDULE_ID).describe();
    expect(check.action).toMatchObject({ workflowType: 'dailyMarginCheckWorkflow', taskQueue });
    expect(check.policies).toMatchObject({ overlap: 'SKIP' });
    const counts = await client.schedule.getHandle(STOCK_COUNT_MONITOR_SCHEDULE_ID).describe();
    expect(counts.action).toMatchObject({ workflowType: 'stockCountMonitorWorkflow', taskQueue });
    expect(counts.spec.intervals?.map((interval) => interval.every)).toEqual([6 * 3_600_000]);
  }, 60_000);

  test('accrual schedule triggered: yesterday is accrued, 36 000.00 × 12 % ÷ 360 = 12.00', async () => {
    const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const parties = await createParties(api.db.prisma);
    const line = await openLine(api.db.prisma, parties, { openedOn: yesterday });
    await accrualDraw(api.db.prisma, line, yesterday, '36000.00');
    expect(await trigger(ACCRUAL_SCHEDULE_ID)).toMatchObject({ accrualDate: yesterday, linesAccrued: 1, linesAlreadyAccrued: 0, postedByCurrency: { USD: '12.00' }, linesFailed: 0 });
    const [receivable] = await api.db.sql<{ balance: string }>(`SELECT balance::text FROM ledger_account WHERE code = 'INTEREST_RECEIVABLE' AND account_set_id = $1`, [line.id]);
    expect(receivable.balance).toBe('12.000000000000000000');
  });

  test('margin-check and stock-count schedules triggered: every pledged line is revalued, an overdue count is flagged', async () => {
    const world = await marginWorld(api);
    await postDraw(api, world.lineId, '10800.00');
    const lotId = await pledgedLot(api, world, '1000');
    await mark(api, world, '20.00');
    await eventually(() => liveCall(api, world.lineId), (call) => call?.status === 'OPEN', 'margin call opened');
    expect(await trigger(DAILY_MARGIN_CHECK_SCHEDULE_ID)).toEqual({ linesChecked: 1 });

    await api.db.sql(`UPDATE lien SET pledged_at = now() - interval '31 days' WHERE lot_id = $1`, [lotId]);
    expect(await trigger(STOCK_COUNT_MONITOR_SCHEDULE_ID)).toEqual({ overdueLots: 1, linesRevalued: 1 });
    const told = await api.db.prisma.notification.findMany({ where: { subjectId: lotId } });
    expect(told.map((note) => note.organisationId).sort()).toEqual([world.lender.organisationId, world.warehouse.organisationId].sort());
  });

  test('graceful shutdown, then a restart: a workflow started meanwhile runs, and the schedules are updated, not duplicated', async () => {
    await worker!.shutdown();
    await expect(worker!.done).resolves.toBeUndefined();
    worker = null;
    // No worker polls: the draw's workflow is started (by the outbox) and waits on the server.
    const line = await drawLine(api);
    const requested = await api.post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: { amount: '800.00', currency: 'USD' } }).expect(201);
    const run = client.workflow.getHandle(requested.body.workflowId);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await run.describe()).status.name).toBe('RUNNING');
    expect((await api.db.prisma.draw.findUniqueOrThrow({ where: { id: requested.body.id } })).status).toBe('REQUESTED');

    logged.length = 0;
    worker = await startWorker({ temporal, prisma, logger });
    expect(outcomes()).toEqual(['daily interest accrual: updated', 'daily margin check: updated', 'stock-count monitor: updated']);
    expect(await ourSchedules()).toEqual([...SCHEDULE_IDS].sort());
    expect(await run.result()).toMatchObject({ phase: 'DISBURSED' });
  }, 60_000);
});
