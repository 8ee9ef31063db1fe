/**
 * The workflow outbox end to end (issue #11, item 9): the API against a real
 * PostgreSQL, workflows in the offline harness with their real activities, and
 * a Temporal whose starts fail on demand. A committed sale or draw always gets
 * its workflow: a failed start leaves the row pending with its error and the
 * dispatcher (after commit, or the poller) starts it later.
 *
 * Sales world (test/sales/world.ts): 20 000 kg of apples at 1.20 USD/kg pledged
 * to a line; sales here sell 1 000 kg at 1.30 USD/kg = 1 300.00.
 */
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createPrismaClient, inTransaction, type PrismaClient } from '../../prisma/client';
import { claimDueCommands } from '../../prisma/outbox/store';
import { reportSale as reportSaleInStore } from '../../prisma/sales/store';
import { D } from '../../domain/money';
import { UnavailableTemporal, type TemporalAccess, type TemporalStatus, type WorkflowGateway } from '../../workflows/connection';
import { dispatchOutbox, OUTBOX_LEASE_MS, type OutboxDeps } from '../../workflows/outbox/dispatcher';
import { startOutboxPoller } from '../../workflows/outbox/poller';
import { TransactionOutbox } from '../../workflows/outbox/transaction-outbox';
import { SALE_SETTLEMENT_WORKFLOW, saleSettlementPhaseQuery } from '../../workflows/sales/definitions';
import { createTestApi, type TestApi, type TestUser } from '../support/api';
import { HarnessTemporal } from '../support/harness-temporal';
import { getWorkflowBundle } from '../support/workflow-harness';
import { WORKFLOWS_PATH } from '../../workflows/worker';
import { drawLine, usd } from '../draws/factories';
import { isoDay, salesWorld, type SalesWorld } from '../sales/world';

/** The harness's Temporal, whose next `startFailures` starts throw, and which records every start it is asked for. */
class FlakyTemporal implements TemporalAccess {
  startFailures = 0;
  readonly startsAsked: string[] = [];
  constructor(private readonly inner: HarnessTemporal) {}
  get taskQueue(): string {
    return this.inner.taskQueue;
  }
  status(): TemporalStatus {
    return this.inner.status();
  }
  probe(): Promise<TemporalStatus> {
    return this.inner.probe();
  }
  workflows(): WorkflowGateway {
    const gateway = this.inner.workflows();
    return {
      start: async (workflowType, options) => {
        this.startsAsked.push(options.workflowId);
        if (this.startFailures > 0) {
          this.startFailures--;
          throw new Error('14 UNAVAILABLE: Temporal refused the start (test)');
        }
        await gateway.start(workflowType, options);
      },
      signal: (workflowId, signalName, ...args) => gateway.signal(workflowId, signalName, ...args),
      query: (workflowId, queryName, ...args) => gateway.query(workflowId, queryName, ...args),
    };
  }
  async close(): Promise<void> {}
}

let api: TestApi;
let harness: HarnessTemporal;
let flaky: FlakyTemporal;
/** The clock of the app and the dispatcher: frozen, moved by the tests. */
let nowMs = Date.now();
const clock = () => new Date(nowMs);
let app: Express;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  // Bundling the workflows takes seconds on a busy machine; done first, it never counts against a dispatch's call timeout.
  await getWorkflowBundle(require.resolve(WORKFLOWS_PATH));
  api = await createTestApi({ temporal: (databaseUrl) => (harness = new HarnessTemporal({ databaseUrl })), poolMax: 20 });
  flaky = new FlakyTemporal(harness);
  app = createApp({ ...api.deps, temporal: flaky, clock });
});
afterAll(() => api.close());
beforeEach(() => {
  flaky.startFailures = 0;
});

const dispatcher = (overrides: Partial<OutboxDeps> = {}): OutboxDeps => ({ prisma: api.db.prisma, temporal: flaky, logger: silent, clock, ...overrides });
const post = (user: TestUser, path: string, body: unknown, to: Express = app) =>
  request(to).post(path).set('Authorization', `Bearer ${user.apiKey}`).set('Idempotency-Key', `k-${Math.random()}`).send(body as object);

interface OutboxRowView {
  kind: string;
  attempts: number;
  failed_attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  dispatched_at: Date | null;
  outcome: string | null;
}
async function rowsOf(workflowId: string): Promise<OutboxRowView[]> {
  return api.db.sql<OutboxRowView & Record<string, unknown>>(
    `SELECT kind::text, attempts, failed_attempts, last_error, next_attempt_at, dispatched_at, outcome FROM workflow_outbox WHERE workflow_id = $1 ORDER BY id`,
    [workflowId],
  );
}

async function reportSale(world: SalesWorld, paymentDueDate: string, to: Express = app) {
  const res = await post(world.custody.seller.admin, `/credit-lines/${world.line.id}/sales`, {
    buyerOrganisationId: world.buyer.organisationId,
    items: [{ lotId: world.lotId, quantity: { amount: '1000', unit: 'kg' } }],
    pricePerUnit: { amount: '1.30', currency: 'USD', unit: 'kg' },
    paymentDueDate,
  }, to);
  expect(res.status).toBe(201);
  return res.body as { id: string; workflowId: string; totalPrice: string };
}

async function metric(name: string): Promise<string> {
  const res = await request(app).get('/metrics').expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
  return line?.split(' ')[1] ?? 'absent';
}

describe('a sale whose workflow start fails', () => {
  test('is accepted (201), stays pending with the error, and the dispatcher starts it after two failures: it lapses', async () => {
    const world = await salesWorld(api);
    nowMs = Date.now();
    flaky.startFailures = 2;
    const sale = await reportSale(world, isoDay(nowMs));
    expect(sale.totalPrice).toEqual({ amount: '1300.00', currency: 'USD' });

    // The attempt right after commit failed: the row keeps the error and waits 2 s.
    expect(harness.workflowIds).not.toContain(sale.workflowId);
    let [row] = await rowsOf(sale.workflowId);
    expect(row).toMatchObject({ kind: 'START', attempts: 1, failed_attempts: 1, dispatched_at: null, outcome: null });
    expect(row.last_error).toBe('Error: 14 UNAVAILABLE: Temporal refused the start (test)');
    expect(row.next_attempt_at.getTime()).toBe(nowMs + 2_000);
    const shown = await request(app).get(`/sales/${sale.id}`).set('Authorization', `Bearer ${world.custody.seller.admin.apiKey}`).expect(200);
    expect(shown.body.workflowStart).toEqual({ status: 'PENDING', attempts: 1, nextAttemptAt: new Date(nowMs + 2_000).toISOString() });
    expect(await metric('godown_workflow_outbox_pending')).toBe('1');
    expect(await metric('godown_workflow_outbox_failing')).toBe('1');
    expect(await metric('godown_workflow_outbox_dispatch_failures')).toBe('1');

    // A retry of the same request would replay the 201; nothing is due before the backoff has passed.
    expect(await dispatchOutbox(dispatcher())).toEqual({ claimed: 0, dispatched: 0, failed: 0 });

    nowMs += 2_000;
    expect(await dispatchOutbox(dispatcher())).toEqual({ claimed: 1, dispatched: 0, failed: 1 });
    [row] = await rowsOf(sale.workflowId);
    expect([row.attempts, row.failed_attempts, row.next_attempt_at.getTime()]).toEqual([2, 2, nowMs + 4_000]);
    expect(await metric('godown_workflow_outbox_dispatch_failures')).toBe('2');

    nowMs += 4_000;
    expect(await dispatchOutbox(dispatcher())).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
    [row] = await rowsOf(sale.workflowId);
    expect(row).toMatchObject({ attempts: 3, failed_attempts: 2, last_error: null, outcome: 'STARTED' });
    expect(row.dispatched_at?.getTime()).toBe(nowMs);
    expect(flaky.startsAsked.filter((id) => id === sale.workflowId)).toHaveLength(3);
    expect(await metric('godown_workflow_outbox_pending')).toBe('0');
    expect(await metric('godown_workflow_outbox_failing')).toBe('0');

    // The workflow runs: unpaid at the end of its due date, the sale lapses.
    expect(await harness.handle(sale.workflowId).result()).toMatchObject({ saleId: sale.id, outcome: 'LAPSED' });
    const lapsed = await request(app).get(`/sales/${sale.id}`).set('Authorization', `Bearer ${world.custody.seller.admin.apiKey}`).expect(200);
    expect(lapsed.body).toMatchObject({ status: 'LAPSED', workflowStart: { status: 'STARTED', attempts: 3, nextAttemptAt: null } });
  });

  test('a payment recorded meanwhile is read by the workflow when it starts: the paid goods are released', async () => {
    const world = await salesWorld(api);
    nowMs = Date.now();
    flaky.startFailures = 1;
    const sale = await reportSale(world, isoDay(nowMs + 30 * 86_400_000));
    const paid = await post(world.custody.lender.admin, `/sales/${sale.id}/payments`, { amount: { amount: '1300.00', currency: 'USD' }, receivedOn: isoDay(nowMs), reference: 'wire' });
    expect(paid.status).toBe(201);
    // The signal found no workflow to wake, which is fine: the workflow reads the sale when it starts.
    expect((await rowsOf(sale.workflowId)).map((r) => [r.kind, r.attempts, r.outcome])).toEqual([
      ['START', 1, null],
      ['SIGNAL', 1, 'WORKFLOW_NOT_RUNNING'],
    ]);

    nowMs += 2_000;
    expect(await dispatchOutbox(dispatcher())).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
    // Started, the workflow read the sale: paid in full, so it authorised the release at once.
    expect(await harness.handle(sale.workflowId).query(saleSettlementPhaseQuery)).toBe('awaiting-release');
    expect((await rowsOf(sale.workflowId)).map((r) => [r.kind, r.attempts, r.outcome])).toEqual([
      ['START', 2, 'STARTED'],
      ['SIGNAL', 1, 'WORKFLOW_NOT_RUNNING'],
    ]);
    const released = await request(app).get(`/sales/${sale.id}`).set('Authorization', `Bearer ${world.custody.seller.admin.apiKey}`).expect(200);
    expect(released.body).toMatchObject({ status: 'RELEASE_AUTHORISED', amountPaid: { amount: '1300.00', currency: 'USD' }, remainingDue: { amount: '0.00', currency: 'USD' } });
    expect(released.body.items[0].releaseOrderId).toEqual(expect.any(String));
  });

  test('is accepted while Temporal is unavailable altogether, and started once it is back', async () => {
    const world = await salesWorld(api);
    nowMs = Date.now();
    const withoutTemporal = createApp({ ...api.deps, temporal: new UnavailableTemporal('Temporal is down (test)', 'godown-harness'), clock });
    const sale = await reportSale(world, isoDay(nowMs + 86_400_000), withoutTemporal);
    const [row] = await rowsOf(sale.workflowId);
    expect([row.failed_attempts, row.last_error]).toEqual([1, 'Error: this operation runs as a Temporal workflow and Temporal is unavailable: Temporal is down (test)']);
    nowMs += 2_000;
    await dispatchOutbox(dispatcher());
    expect(await harness.handle(sale.workflowId).query(saleSettlementPhaseQuery)).toBe('awaiting-payment');
  });
});

test('a draw whose workflow start fails is accepted, reserved, then started by the dispatcher and disbursed', async () => {
  const line = await drawLine(api);
  nowMs = Date.now();
  flaky.startFailures = 1;
  const res = await post(line.sellerOperator, `/credit-lines/${line.lineId}/draws`, { amount: usd('800.00') });
  expect([res.status, res.body.status, res.body.requiredApprovals]).toEqual([201, 'REQUESTED', 0]);
  expect((await rowsOf(res.body.workflowId)).map((r) => [r.kind, r.failed_attempts, r.outcome])).toEqual([['START', 1, null]]);
  const getDraw = () => request(app).get(`/draws/${res.body.id}`).set('Authorization', `Bearer ${line.sellerViewer.apiKey}`).expect(200);
  // Reserved and waiting for its workflow, which the seller can see.
  expect((await getDraw()).body).toMatchObject({ status: 'REQUESTED', workflowStart: { status: 'PENDING', attempts: 1, nextAttemptAt: new Date(nowMs + 2_000).toISOString() } });
  nowMs += 2_000;
  expect(await dispatchOutbox(dispatcher())).toEqual({ claimed: 1, dispatched: 1, failed: 0 });
  expect((await getDraw()).body).toMatchObject({ status: 'DISBURSED', workflowStart: { status: 'STARTED', attempts: 2, nextAttemptAt: null } });
});

test('two dispatchers at once never start the same workflow twice, and together start them all', async () => {
  const world = await salesWorld(api);
  nowMs = Date.now();
  // Twelve sales committed while Temporal is unavailable: twelve pending starts.
  const withoutTemporal = createApp({ ...api.deps, temporal: new UnavailableTemporal('down (test)', 'godown-harness'), clock });
  const sales = [];
  for (let i = 0; i < 12; i++) sales.push(await reportSale(world, isoDay(nowMs + 86_400_000), withoutTemporal));
  nowMs += 2_000;
  // Two processes: each its own database pool, batches of 3, polling until nothing is left.
  const second: PrismaClient = createPrismaClient(api.db.url, { poolMax: 5 });
  const drain = async (deps: OutboxDeps) => {
    let claimed = 0;
    for (;;) {
      const report = await dispatchOutbox(deps, { batchSize: 3 });
      if (report.claimed === 0) return claimed;
      claimed += report.claimed;
    }
  };
  try {
    const [first, other] = await Promise.all([drain(dispatcher()), drain(dispatcher({ prisma: second }))]);
    expect(first + other).toBe(12);
  } finally {
    await second.$disconnect();
  }
  for (const sale of sales) {
    expect(flaky.startsAsked.filter((id) => id === sale.workflowId)).toHaveLength(1);
    expect(harness.workflowIds).toContain(sale.workflowId);
    expect((await rowsOf(sale.workflowId)).map((r) => [r.attempts, r.outcome])).toEqual([[2, 'STARTED']]);
  }
});

describe('a crash between commit and dispatch', () => {
  test('a committed row never attempted is dispatched by the poller; so is one claimed by a dispatcher that died', async () => {
    const world = await salesWorld(api);
    nowMs = Date.now();
    // What the sale route commits, with the process gone before its dispatch: the sale and its outbox row.
    const commitWithoutDispatch = (quantity: string) =>
      inTransaction(api.db.prisma, async (tx) => {
        const actor = { userId: world.custody.seller.admin.userId, organisationId: world.custody.seller.organisationId, organisationKind: 'SELLER' as const, role: 'ADMIN' as const, requestId: null };
        const sale = await reportSaleInStore(tx, actor, world.line.id, {
          buyerOrganisationId: world.buyer.organisationId,
          currency: 'USD',
          items: [{ lotId: world.lotId, quantity: new D(quantity) }],
          pricePerUnit: new D('1.30'),
          totalPrice: undefined,
          paymentDueDate: isoDay(nowMs + 86_400_000),
          today: isoDay(nowMs),
          now: new Date(nowMs),
        });
        const outbox = new TransactionOutbox(tx, { requestId: null, taskQueue: harness.taskQueue, now: clock() });
        await outbox.start(SALE_SETTLEMENT_WORKFLOW, { workflowId: sale.workflowId, args: [{ saleId: sale.id, paymentDueDate: isoDay(nowMs + 86_400_000), releaseReminderAfterMs: 3_600_000, releasePollIntervalMs: 3_600_000 }] });
        return { sale, ids: outbox.written };
      });
    const neverTried = await commitWithoutDispatch('500');
    const claimedThenDied = await commitWithoutDispatch('700');
    // A dispatcher claimed the second row and died before performing it: the row is leased, not lost.
    expect(await claimDueCommands(api.db.prisma, { now: clock(), leaseUntil: new Date(nowMs + OUTBOX_LEASE_MS), limit: 10, onlyIds: claimedThenDied.ids })).toHaveLength(1);

    const poller = startOutboxPoller(dispatcher(), { intervalMs: 20 });
    try {
      await waitFor(async () => (await rowsOf(neverTried.sale.workflowId))[0].outcome === 'STARTED');
      expect(harness.workflowIds).toContain(neverTried.sale.workflowId);
      expect(harness.workflowIds).not.toContain(claimedThenDied.sale.workflowId);
      // Once the lease has run out, the poller takes the row over.
      nowMs += OUTBOX_LEASE_MS;
      await waitFor(async () => (await rowsOf(claimedThenDied.sale.workflowId))[0].outcome === 'STARTED');
    } finally {
      await poller.stop();
    }
    expect((await rowsOf(claimedThenDied.sale.workflowId)).map((r) => [r.attempts, r.failed_attempts])).toEqual([[2, 0]]);
    expect(await harness.handle(claimedThenDied.sale.workflowId).query(saleSettlementPhaseQuery)).toBe('awaiting-payment');
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
