import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../prisma/client';
import { outboxFigures, type OutboxFigures } from '../prisma/outbox/store';
import { marginCheckFailureCounts } from '../prisma/margin/failures';
import type { TemporalAccess, WorkflowGateway } from '../workflows/connection';

/** Label value for a request that matched no route: raw paths never become labels (unbounded cardinality). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Prometheus metrics of one app. Each app gets its own registry (never
 * prom-client's global one), so that apps built side by side — tests — never
 * share or collide. Label values come from code (route templates, states,
 * workflow types), never from user input, so each series set stays bounded.
 */
export interface Metrics {
  readonly registry: Registry;
  /** `godown_http_request_duration_seconds`; its `_count` is the request rate by route. */
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** `godown_borrowing_base_duration_seconds{view}`: time to compute a line's borrowing base. */
  readonly borrowingBaseSeconds: Histogram<'view'>;
  /** A workflow of `workflowType` was started by this process. */
  workflowStarted(workflowType: string): void;
  /** Starting a workflow of `workflowType` failed (executions that fail are counted by the worker's SDK metrics). */
  workflowStartFailed(workflowType: string): void;
  /** The text exposition for `GET /metrics`. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

// Request latencies: 5 ms to 10 s. Borrowing base: the same range, it is a request-time computation.
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Ledger postings and draws are written by API requests and by workflow
 * activities, possibly in other processes; the database is the one place that
 * sees them all, so these series are read from it at scrape time (cheap: the
 * entry sequence's high-water mark, a count per draw status, and the lines
 * whose accrual is failing).
 */
function registerDatabaseGauges(registry: Registry, db: Db): void {
  new Gauge({
    name: 'godown_ledger_postings_total',
    help: 'Journal entries posted to the settlement ledger (high-water mark of the entry sequence; a counter in effect)',
    registers: [registry],
    async collect() {
      const [row] = await db.$queryRaw<{ posted: bigint | null }[]>`SELECT max(seq) AS posted FROM journal_entry`;
      this.set(Number(row?.posted ?? 0));
    },
  });
  new Gauge({
    name: 'godown_accrual_failing_lines',
    help: 'Credit lines whose daily interest accrual is failing (recorded in accrual_failure, retried by every run)',
    registers: [registry],
    async collect() {
      const [row] = await db.$queryRaw<{ failing: bigint }[]>`SELECT count(*) AS failing FROM accrual_failure`;
      this.set(Number(row?.failing ?? 0));
    },
  });
  new Gauge({
    name: 'godown_draws',
    help: 'Draws by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await db.$queryRaw<{ status: string; draws: bigint }[]>`SELECT status::text AS status, count(*) AS draws FROM draw GROUP BY status`;
      this.reset();
      for (const row of rows) this.set({ state: row.status }, Number(row.draws));
    },
  });
  new Gauge({
    name: 'godown_margin_check_failing_lines',
    help: 'Credit lines that could not be revalued (stage REVALUATION) or margin-checked (MARGIN_CHECK) and are being retried',
    labelNames: ['stage'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const stage of ['REVALUATION', 'MARGIN_CHECK'] as const) this.set({ stage }, 0);
      for (const row of await marginCheckFailureCounts(db)) this.set({ stage: row.stage }, row.lines);
    },
  });
}

/**
 * The workflow outbox (workflows/outbox): rows written by any process, so read
 * from the database at scrape time. A growing `pending` or any `failing` means
 * committed changes wait for their workflows (Temporal unreachable, or a start
 * refused): the rows' last_error says why.
 */
function registerOutboxGauges(registry: Registry, db: Db): void {
  const gauge = (name: string, help: string, pick: (f: OutboxFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await outboxFigures(db, new Date())));
      },
    });
  gauge('godown_workflow_outbox_pending', 'Workflow starts and signals committed but not yet dispatched to Temporal', (f) => f.pending);
  gauge('godown_workflow_outbox_failing', 'Pending workflow starts and signals whose last dispatch attempt failed', (f) => f.failing);
  gauge('godown_workflow_outbox_dispatch_failures', 'Failed dispatch attempts of the workflow starts and signals still pending', (f) => f.failedAttempts);
  gauge('godown_workflow_outbox_oldest_pending_seconds', 'Age of the oldest pending workflow start or signal (0 when none)', (f) => f.oldestPendingSeconds);
}

export function createMetrics(options: { processMetrics?: boolean; db?: Db } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    // CPU, memory, event-loop lag, GC: prefixed so they sit with the service's own series.
    collectDefaultMetrics({ register: registry, prefix: 'godown_' });
  }
  const httpRequestSeconds = new Histogram({
    name: 'godown_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status; _count gives the request rate',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const borrowingBaseSeconds = new Histogram({
    name: 'godown_borrowing_base_duration_seconds',
    help: "Time to compute a credit line's borrowing base, by view (full or totals)",
    labelNames: ['view'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  if (options.db) {
    registerDatabaseGauges(registry, options.db);
    registerOutboxGauges(registry, options.db);
  }
  const workflowStarts = new Counter({
    name: 'godown_workflow_starts_total',
    help: 'Temporal workflows started, by workflow type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const workflowStartFailures = new Counter({
    name: 'godown_workflow_start_failures_total',
    help: 'Temporal workflow starts that failed, by workflow type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpRequestSeconds,
    borrowingBaseSeconds,
    workflowStarted: (workflowType) => workflowStarts.inc({ type: workflowType }),
    workflowStartFailed: (workflowType) => workflowStartFailures.inc({ type: workflowType }),
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** The same Temporal access, counting the workflow starts that go through it. */
export function countingWorkflowStarts(temporal: TemporalAccess, metrics: Metrics): TemporalAccess {
  const counted = (gateway: WorkflowGateway): WorkflowGateway => ({
    start: async (workflowType, options) => {
      try {
        await gateway.start(workflowType, options);
      } catch (error) {
        metrics.workflowStartFailed(workflowType);
        throw error;
      }
      metrics.workflowStarted(workflowType);
    },
    signal: (workflowId, signalName, ...args) => gateway.signal(workflowId, signalName, ...args),
    query: (workflowId, queryName, ...args) => gateway.query(workflowId, queryName, ...args),
  });
  return {
    get taskQueue() {
      return temporal.taskQueue;
    },
    status: () => temporal.status(),
    probe: (timeoutMs) => temporal.probe(timeoutMs),
    workflows: () => counted(temporal.workflows()),
    close: () => temporal.close(),
  };
}
