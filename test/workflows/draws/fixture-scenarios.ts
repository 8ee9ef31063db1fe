/**
 * Harness runs of the draw workflow on the scenarios whose histories a real
 * Temporal server recorded as the replay fixtures in test/fixtures/histories/draws/
 * (scripts/record-histories.ts, same names, same fixed answers; a folder of their
 * own: the sample's replay test replays every file directly in histories/ against
 * the sample workflows). replay.test.ts checks that the harness decides as the
 * server did. Activities are in-memory fakes with fixed answers.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { DrawActivities } from '../../../workflows/draws/activities';
import { DRAW_NOT_VISIBLE, decisionRecordedSignal } from '../../../workflows/draws/definitions';
import { startWorkflow, type WorkflowHarness } from '../../support/workflow-harness';
import { drawWorkflowsPath, HOUR_MS } from './support';

export const drawFixturesDir = path.resolve(__dirname, '../../fixtures/histories/draws');
const START_MS = Date.UTC(2026, 10, 23, 9);
const DRAW_ID = '11111111-1111-4111-8111-111111111111';

type Fake = Pick<DrawActivities, keyof DrawActivities>;

function fakeActivities(options: { requiredApprovals: 0 | 1 | 2; approvers: string[][]; rejectedBy?: string; notVisibleAttempts?: number; disbursement?: 'DISBURSED' | 'REFUSED' }): Fake {
  let tallies = 0;
  let loads = 0;
  return {
    loadDraw: async ({ drawId }) => {
      loads += 1;
      if (loads <= (options.notVisibleAttempts ?? 0)) throw ApplicationFailure.retryable(`draw ${drawId} is not visible (yet)`, DRAW_NOT_VISIBLE);
      return { drawId, status: 'REQUESTED', requiredApprovals: options.requiredApprovals, approvalDeadlineMs: START_MS + 24 * HOUR_MS };
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

async function start(name: string, activities: Fake): Promise<WorkflowHarness> {
  return startWorkflow('drawWorkflow', { workflowsPath: drawWorkflowsPath, activities, args: [{ drawId: DRAW_ID }], workflowId: `fixture-${name}`, startTime: START_MS });
}

export interface DrawHistoryScenario {
  name: string;
  run(): Promise<WorkflowHarness>;
}

export const drawHistoryScenarios: DrawHistoryScenario[] = [
  {
    name: 'draw-auto-approved',
    async run() {
      const harness = await start('draw-auto-approved', fakeActivities({ requiredApprovals: 0, approvers: [], notVisibleAttempts: 1 }));
      await harness.result();
      return harness;
    },
  },
  {
    name: 'draw-dual-approval',
    async run() {
      const harness = await start('draw-dual-approval', fakeActivities({ requiredApprovals: 2, approvers: [['approver-a'], ['approver-a', 'approver-b']] }));
      await harness.advanceTime(HOUR_MS);
      await harness.signal(decisionRecordedSignal);
      await harness.advanceTime(HOUR_MS);
      await harness.signal(decisionRecordedSignal);
      await harness.result();
      return harness;
    },
  },
  {
    name: 'draw-rejected',
    async run() {
      const harness = await start('draw-rejected', fakeActivities({ requiredApprovals: 1, approvers: [[]], rejectedBy: 'approver-b' }));
      await harness.signal(decisionRecordedSignal);
      await harness.result();
      return harness;
    },
  },
  {
    name: 'draw-expired',
    async run() {
      const harness = await start('draw-expired', fakeActivities({ requiredApprovals: 1, approvers: [[]] }));
      await harness.result();
      return harness;
    },
  },
  {
    name: 'draw-refused',
    async run() {
      const harness = await start('draw-refused', fakeActivities({ requiredApprovals: 1, approvers: [['approver-a']], disbursement: 'REFUSED' }));
      await harness.signal(decisionRecordedSignal);
      await harness.result();
      return harness;
    },
  },
];
