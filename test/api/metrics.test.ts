import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../api/app';
import { countingWorkflowStarts, createMetrics } from '../../api/metrics';
import { Money } from '../../domain/money';
import { createAccountSet, postEntry } from '../../prisma/ledger/store';
import { createCreditLine } from '../custody/factories';
import { createTestApi, type TestApi, type TestOrganisation } from '../support/api';

let api: TestApi;
let lender: TestOrganisation;
let seller: TestOrganisation;

beforeAll(async () => {
  api = await createTestApi();
  lender = await api.organisation('LENDER');
  seller = await api.organisation('SELLER');
});
afterAll(() => api.close());

/** The exposition's sample lines (no HELP/TYPE comments). */
async function samples(app: Parameters<typeof request>[0]): Promise<string[]> {
  const res = await request(app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

test('request counts and latency are labelled by method, route template and status', async () => {
  const app = createApp({ ...api.deps, metrics: createMetrics() });
  const auth = { Authorization: `Bearer ${lender.admin.apiKey}` };
  await request(app).get('/me').set(auth).expect(200);
  await request(app).get('/me').set(auth).expect(200);
  await request(app).get('/me').expect(401);
  const unknownLineId = randomUUID();
  await request(app).get(`/credit-lines/${unknownLineId}/borrowing-base`).set(auth).expect(404);
  await request(app).get(`/no/such/${randomUUID()}`).expect(404);
  await request(app).get('/health').expect(200);

  const lines = await samples(app);
  const count = (labels: string) => lines.find((line) => line.startsWith(`godown_http_request_duration_seconds_count{${labels}} `));
  expect(count('method="GET",route="/me",status="200"')).toBe('godown_http_request_duration_seconds_count{method="GET",route="/me",status="200"} 2');
  expect(count('method="GET",route="/me",status="401"')).toBe('godown_http_request_duration_seconds_count{method="GET",route="/me",status="401"} 1');
  expect(count('method="GET",route="/credit-lines/:lineId/borrowing-base",status="404"')).toBe(
    'godown_http_request_duration_seconds_count{method="GET",route="/credit-lines/:lineId/borrowing-base",status="404"} 1',
  );
  expect(count('method="GET",route="unmatched",status="404"')).toBe('godown_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
  expect(count('method="GET",route="/health",status="200"')).toBe('godown_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 1');
  // Exactly these five series: the scrape itself is recorded only once it has finished.
  expect(lines.filter((line) => line.startsWith('godown_http_request_duration_seconds_count{'))).toHaveLength(5);
  // Every request lands in the +Inf bucket; raw ids never become labels.
  expect(lines).toContain('godown_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/me",status="200"} 2');
  expect(lines.join('\n')).not.toContain(unknownLineId);

  const next = await samples(app);
  expect(next).toContain('godown_http_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 1');
});

test('borrowing base computation time is recorded by view', async () => {
  const app = createApp({ ...api.deps, metrics: createMetrics() });
  const line = await createCreditLine(api.db.prisma, lender.organisationId, seller.organisationId);
  const auth = { Authorization: `Bearer ${lender.admin.apiKey}` };
  await request(app).get(`/credit-lines/${line.id}/borrowing-base?view=totals`).set(auth).expect(200);
  await request(app).get(`/credit-lines/${line.id}/borrowing-base?view=totals`).set(auth).expect(200);
  await request(app).get(`/credit-lines/${line.id}/borrowing-base`).set(auth).expect(200);
  // An invisible line is refused before any computation: not timed.
  await request(app).get(`/credit-lines/${randomUUID()}/borrowing-base`).set(auth).expect(404);

  const lines = await samples(app);
  expect(lines).toContain('godown_borrowing_base_duration_seconds_count{view="totals"} 2');
  expect(lines).toContain('godown_borrowing_base_duration_seconds_count{view="full"} 1');
  expect(lines.filter((line) => line.startsWith('godown_borrowing_base_duration_seconds_count{'))).toHaveLength(2);
});

test('ledger postings and draws by state are read from the database, whichever process wrote them', async () => {
  const metrics = createMetrics({ db: api.db.prisma, processMetrics: false });
  const app = createApp({ ...api.deps, metrics });
  const before = await samples(app);
  const postedBefore = Number(before.find((line) => line.startsWith('godown_ledger_postings_total '))?.split(' ')[1]);
  // Written straight into the database, as a worker's activity would: two ledger entries, three draws.
  const lender = await api.organisation('LENDER');
  const seller = await api.organisation('SELLER');
  const line = await createCreditLine(api.db.prisma, lender.organisationId, seller.organisationId);
  const accounts = await createAccountSet(api.db.prisma, {
    accountSetId: line.id,
    currency: 'USD',
    accounts: [
      { code: 'LOAN_PRINCIPAL', name: 'Loan principal', type: 'ASSET', normalBalance: 'DEBIT', mustNotGoNegative: true },
      { code: 'LENDER_FUNDING', name: 'Lender funding', type: 'EQUITY', normalBalance: 'CREDIT' },
    ],
  });
  const [principal, funding] = accounts;
  for (const amount of ['100.00', '250.00']) {
    await postEntry(api.db.prisma, {
      idempotencyKey: `metrics-${randomUUID()}`,
      description: 'advance',
      effectiveDate: '2026-11-23',
      accountSetId: line.id,
      lines: [
        { accountId: principal.id, side: 'DEBIT', amount: Money.of(amount, 'USD') },
        { accountId: funding.id, side: 'CREDIT', amount: Money.of(amount, 'USD') },
      ],
    });
  }
  for (const status of ['REQUESTED', 'REQUESTED', 'EXPIRED']) {
    await api.db.sql(
      `INSERT INTO draw (id, credit_line_id, requested_by_user_id, amount, currency, status, required_approvals, approval_deadline, workflow_id)
       VALUES (gen_random_uuid(), $1, $2, 10, 'USD', $3::"DrawStatus", 1, now(), 'draw-' || gen_random_uuid())`,
      [line.id, seller.admin.userId, status],
    );
  }
  const after = await samples(app);
  expect(after).toContain(`godown_ledger_postings_total ${postedBefore + 2}`);
  expect(after.filter((line) => line.startsWith('godown_draws{')).sort()).toEqual(['godown_draws{state="EXPIRED"} 1', 'godown_draws{state="REQUESTED"} 2']);
});

test('workflow starts, and failed starts, are counted by workflow type', async () => {
  const metrics = createMetrics({ processMetrics: false });
  const started: string[] = [];
  const gateway = {
    start: async (workflowType: string) => {
      if (workflowType === 'broken') throw new Error('start refused');
      started.push(workflowType);
    },
    signal: async () => undefined,
    query: async <T>() => undefined as T,
  };
  const temporal = countingWorkflowStarts(
    { taskQueue: 'q', status: () => ({ available: true, address: 'x:1', namespace: 'default', reason: null }), probe: async () => ({ available: true, address: 'x:1', namespace: 'default', reason: null }), workflows: () => gateway, close: async () => undefined },
    metrics,
  );
  await temporal.workflows().start('drawWorkflow', { workflowId: 'draw-1', args: [] });
  await temporal.workflows().start('drawWorkflow', { workflowId: 'draw-2', args: [] });
  await temporal.workflows().start('saleSettlement', { workflowId: 'sale-1', args: [] });
  await expect(temporal.workflows().start('broken', { workflowId: 'b-1', args: [] })).rejects.toThrow('start refused');
  expect(started).toEqual(['drawWorkflow', 'drawWorkflow', 'saleSettlement']);
  const lines = (await metrics.exposition()).body.split('\n');
  expect(lines.filter((line) => /^godown_workflow_/.test(line)).sort()).toEqual([
    'godown_workflow_start_failures_total{type="broken"} 1',
    'godown_workflow_starts_total{type="drawWorkflow"} 2',
    'godown_workflow_starts_total{type="saleSettlement"} 1',
  ]);
});

test('each app has its own registry: requests to one never show in another', async () => {
  const first = createApp({ ...api.deps, metrics: createMetrics() });
  const second = createApp({ ...api.deps, metrics: createMetrics() });
  await request(first).get('/health').expect(200);
  await request(first).get('/health').expect(200);
  expect(await samples(first)).toContain('godown_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 2');
  expect((await samples(second)).filter((line) => line.startsWith('godown_http_request_duration_seconds_count{'))).toEqual([]);
});

test('process metrics (memory, CPU, event loop) are exposed with the godown_ prefix', async () => {
  const lines = await samples(createApp({ ...api.deps, metrics: createMetrics() }));
  expect(lines.some((line) => line.startsWith('godown_process_resident_memory_bytes '))).toBe(true);
  expect(lines.some((line) => line.startsWith('godown_nodejs_eventloop_lag_seconds '))).toBe(true);
});

test('an app built without metrics makes its own and still serves /metrics', async () => {
  const { metrics: _ignored, ...withoutMetrics } = api.deps;
  const app = createApp(withoutMetrics);
  await request(app).get('/health').expect(200);
  expect(await samples(app)).toContain('godown_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 1');
});
