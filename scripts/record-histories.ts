/**
 * Records the draw workflow's replay fixtures (test/fixtures/histories/draws/*.json) from a REAL
 * Temporal server: the pinned CLI's `temporal server start-dev` (in memory, headless, free
 * port; bash scripts/temporal-cli.sh builds it), a real Worker running workflows/draws/workflow,
 * and in-memory activities with fixed answers, so that each history says exactly what Temporal
 * writes for that scenario. Run after a deliberate, replay-safe change to the draw workflow:
 *
 *   npx tsx scripts/record-histories.ts
 *
 * test/workflows/draws/replay.test.ts replays every fixture against the current code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { DrawActivities } from '../workflows/draws/activities';
import { DRAW_NOT_VISIBLE, decisionRecordedSignal, drawStateQuery } from '../workflows/draws/definitions';
import { installedTemporalCli, projectRoot, startDevServer } from '../workflows/dev-server';

const ROOT = projectRoot();
export const DRAW_FIXTURES_DIR = path.join(ROOT, 'test', 'fixtures', 'histories', 'draws');
const DRAW_ID = '11111111-1111-4111-8111-111111111111';
const HOUR_MS = 3_600_000;

type Fake = Pick<DrawActivities, keyof DrawActivities>;

interface FakeOptions {
  requiredApprovals: 0 | 1 | 2;
  /** The tally's approvers on each read, in turn (the last one repeats). */
  approvers: string[][];
  rejectedBy?: string;
  /** loadDraw answers "not visible" this many times first (a request not committed yet). */
  notVisibleAttempts?: number;
  disbursement?: 'DISBURSED' | 'REFUSED';
  /** The approval window from the first load. */
  windowMs?: number;
}

/** Fixed answers, as test/workflows/draws/fixture-scenarios.ts gives the harness. */
function fakeActivities(options: FakeOptions): Fake {
  let tallies = 0;
  let loads = 0;
  let deadlineMs: number | null = null;
  return {
    loadDraw: async ({ drawId }) => {
      loads += 1;
      if (loads <= (options.notVisibleAttempts ?? 0)) throw ApplicationFailure.retryable(`draw ${drawId} is not visible (yet)`, DRAW_NOT_VISIBLE);
      deadlineMs ??= Date.now() + (options.windowMs ?? 24 * HOUR_MS);
      return { drawId, status: 'REQUESTED', requiredApprovals: options.requiredApprovals, approvalDeadlineMs: deadlineMs };
    },
    decisionTally: async () => ({ approverUserIds: options.approvers[Math.min(tallies++, options.approvers.length - 1)] ?? [], rejectedByUserId: options.rejectedBy ?? null }),
    approveDraw: async () => 'APPROVED',
    rejectDraw: async () => 'REJECTED',
    expireDraw: async () => 'EXPIRED',
    disburseDraw: async () =>
      options.disbursement === 'REFUSED'
        ? { status: 'REFUSED', reason: 'credit_line_not_active: credit line is FROZEN' }
        : { status: 'DISBURSED', disbursementEntryId: '22222222-2222-4222-8222-222222222222', feeEntryId: '33333333-3333-4333-8333-333333333333' },
  };
}

export interface RecordedScenario {
  name: string;
  activities: FakeOptions;
  /** What the test does while the workflow runs (signals once it waits). */
  drive(handle: WorkflowHandle): Promise<void>;
}

async function awaitingApproval(handle: WorkflowHandle, approvers: number): Promise<void> {
  for (let poll = 0; poll < 200; poll++) {
    const state = await handle.query(drawStateQuery);
    if (state.phase === 'AWAITING_APPROVAL' && state.approverUserIds.length === approvers) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${handle.workflowId} never waited for approval ${approvers + 1}`);
}

/** The same names and stories as the harness's scenarios (test/workflows/draws/fixture-scenarios.ts). */
export const RECORDED_SCENARIOS: RecordedScenario[] = [
  { name: 'draw-auto-approved', activities: { requiredApprovals: 0, approvers: [], notVisibleAttempts: 1 }, drive: async () => undefined },
  {
    name: 'draw-dual-approval',
    activities: { requiredApprovals: 2, approvers: [['approver-a'], ['approver-a', 'approver-b']] },
    drive: async (handle) => {
      await awaitingApproval(handle, 0);
      await handle.signal(decisionRecordedSignal);
      await awaitingApproval(handle, 1);
      await handle.signal(decisionRecordedSignal);
    },
  },
  {
    name: 'draw-rejected',
    activities: { requiredApprovals: 1, approvers: [[]], rejectedBy: 'approver-b' },
    drive: async (handle) => {
      await awaitingApproval(handle, 0);
      await handle.signal(decisionRecordedSignal);
    },
  },
  // A 2-second window: the real server has no time skipping.
  { name: 'draw-expired', activities: { requiredApprovals: 1, approvers: [[]], windowMs: 2_000 }, drive: async () => undefined },
  {
    name: 'draw-refused',
    activities: { requiredApprovals: 1, approvers: [['approver-a']], disbursement: 'REFUSED' },
    drive: async (handle) => {
      await awaitingApproval(handle, 0);
      await handle.signal(decisionRecordedSignal);
    },
  },
];

async function main(): Promise<void> {
  const executable = installedTemporalCli(ROOT);
  if (executable === null) throw new Error('the Temporal CLI is not installed: run `bash scripts/temporal-cli.sh` first');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ executable, dbFilename: null, uiPort: null });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  try {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/draws/workflow'), logger: new DefaultLogger('WARN') });
    mkdirSync(DRAW_FIXTURES_DIR, { recursive: true });
    for (const scenario of RECORDED_SCENARIOS) {
      const taskQueue = `record-${scenario.name}`;
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle, activities: fakeActivities(scenario.activities) });
      const workflowId = `fixture-${scenario.name}`;
      await worker.runUntil(async () => {
        const handle = await client.workflow.start('drawWorkflow', { taskQueue, workflowId, args: [{ drawId: DRAW_ID }] });
        await scenario.drive(handle);
        await handle.result();
      });
      // The history as the server's own CLI exports it (`temporal workflow show --output json`).
      const shown = spawnSync(executable, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
      if (shown.status !== 0) throw new Error(`temporal workflow show ${workflowId} failed: ${shown.stderr}`);
      const file = path.join(DRAW_FIXTURES_DIR, `${scenario.name}.json`);
      writeFileSync(file, `${JSON.stringify(JSON.parse(shown.stdout), null, 2)}\n`);
      console.log(`recorded ${path.relative(process.cwd(), file)} (${(JSON.parse(shown.stdout) as { events: unknown[] }).events.length} events)`);
    }
  } finally {
    await nativeConnection.close();
    await connection.close();
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
