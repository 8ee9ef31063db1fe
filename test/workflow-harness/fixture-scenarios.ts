/**
 * The harness runs whose synthesised histories are the replay fixtures in
 * test/fixtures/histories/. Shared by the fixture writer (write-history-fixtures.ts) and the replay
 * test, which checks the committed files are still exactly what these runs produce.
 */
import path from 'node:path';
import { startWorkflow, type WorkflowHarness } from '../support/workflow-harness';
import { createSampleActivities } from './sample/activities';
import { approveSignal } from './sample/definitions';
import type { chargeRefused, chargeWithRetry, releaseAfterApproval, reserveViaChild } from './sample/workflows';

export const sampleWorkflowsPath = path.join(__dirname, 'sample', 'workflows.ts');
export const alteredSampleWorkflowsPath = path.join(__dirname, 'sample-altered', 'workflows.ts');
export const historyFixturesDir = path.join(__dirname, '..', 'fixtures', 'histories');

const minuteMs = 60 * 1000;
const hourMs = 60 * minuteMs;

export interface HistoryScenario {
  /** Fixture file stem; a scenario with several runs (children) gets `<name>.<n>.json` for run n > 0. */
  name: string;
  run(): Promise<WorkflowHarness>;
}

function sampleActivities() {
  return createSampleActivities({ calls: [] });
}

export const historyScenarios: HistoryScenario[] = [
  {
    name: 'releaseAfterApproval.approved',
    async run() {
      const harness = await startWorkflow<typeof releaseAfterApproval>('releaseAfterApproval', {
        workflowsPath: sampleWorkflowsPath,
        activities: sampleActivities(),
        workflowId: 'fixture-release-approved',
        args: [{ lotId: 'lot-7', quantityKg: '250', approvalTimeoutMs: 24 * hourMs, coolingOffMs: hourMs }],
      });
      await harness.advanceTime(30 * minuteMs);
      await harness.signal(approveSignal, 'lender-approver-1');
      await harness.result();
      return harness;
    },
  },
  {
    name: 'releaseAfterApproval.expired',
    async run() {
      const harness = await startWorkflow<typeof releaseAfterApproval>('releaseAfterApproval', {
        workflowsPath: sampleWorkflowsPath,
        activities: sampleActivities(),
        workflowId: 'fixture-release-expired',
        args: [{ lotId: 'lot-8', quantityKg: '40', approvalTimeoutMs: 24 * hourMs, coolingOffMs: hourMs }],
      });
      await harness.result();
      return harness;
    },
  },
  {
    name: 'chargeWithRetry',
    async run() {
      const harness = await startWorkflow<typeof chargeWithRetry>('chargeWithRetry', {
        workflowsPath: sampleWorkflowsPath,
        activities: sampleActivities(),
        workflowId: 'fixture-charge-with-retry',
        args: ['charge-1'],
      });
      await harness.result();
      return harness;
    },
  },
  {
    name: 'chargeRefused',
    async run() {
      const harness = await startWorkflow<typeof chargeRefused>('chargeRefused', {
        workflowsPath: sampleWorkflowsPath,
        activities: sampleActivities(),
        workflowId: 'fixture-charge-refused',
        args: ['non-retryable-flag'],
      });
      await harness.result().catch(() => undefined); // the workflow fails by design
      return harness;
    },
  },
  {
    name: 'reserveViaChild',
    async run() {
      const harness = await startWorkflow<typeof reserveViaChild>('reserveViaChild', {
        workflowsPath: sampleWorkflowsPath,
        activities: sampleActivities(),
        workflowId: 'fixture-reserve-via-child',
        args: ['lot-9', '12.5'],
      });
      await harness.result();
      return harness;
    },
  },
];

export function fixtureFileName(scenarioName: string, runIndex: number): string {
  return runIndex === 0 ? `${scenarioName}.json` : `${scenarioName}.${runIndex}.json`;
}
