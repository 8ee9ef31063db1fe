/**
 * The sample workflow on a real Temporal server (the run's server: test/support/temporal-server.ts).
 * With SAVE_HISTORY_FIXTURES=1 the server's own history is saved as a replay fixture, which the
 * replay test then checks alongside the synthesised ones.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHistoryFixture } from '../../support/wf-history';
import { replayHistories } from '../../support/wf-replay';
import { describeWithTemporalServer, runWithWorker } from '../../support/wf-server';
import { historyFixturesDir, sampleWorkflowsPath } from '../../workflow-harness/fixture-scenarios';
import { createSampleActivities, type SampleActivityCall } from '../../workflow-harness/sample/activities';
import { approveSignal, releaseStatusQuery } from '../../workflow-harness/sample/definitions';
import { releaseAfterApproval } from '../../workflow-harness/sample/workflows';

const statusPollsMax = 200;
const statusPollIntervalMs = 50;

describeWithTemporalServer('sample workflow on a real Temporal server', (server) => {
  it('releases after approval, and the recorded history replays against the sample code', async () => {
    const { env } = server();
    const calls: SampleActivityCall[] = [];
    const runTag = `${process.pid}-${Date.now()}`;
    const workflowId = `server-release-approved-${runTag}`;
    const taskQueue = `workflow-harness-${runTag}`;

    const { outcome, history } = await runWithWorker(
      server(),
      { workflowsPath: sampleWorkflowsPath, activities: createSampleActivities({ calls }), taskQueue },
      async () => {
        const handle = await env.client.workflow.start(releaseAfterApproval, {
          taskQueue,
          workflowId,
          args: [{ lotId: 'lot-7', quantityKg: '250', approvalTimeoutMs: 60_000, coolingOffMs: 1_000 }],
        });
        // Signal once the workflow waits in condition(), so the history has the timer to cancel.
        for (let poll = 0; (await handle.query(releaseStatusQuery)) !== 'awaiting-approval'; poll++) {
          if (poll >= statusPollsMax) throw new Error(`${workflowId} never reached awaiting-approval`);
          await sleep(statusPollIntervalMs);
        }
        await handle.signal(approveSignal, 'lender-approver-1');
        return { outcome: await handle.result(), history: await handle.fetchHistory() };
      },
    );

    expect(outcome).toEqual({
      lotId: 'lot-7',
      released: true,
      approverId: 'lender-approver-1',
      receipt: 'release:hold:lot-7:250kg:by:lender-approver-1',
      decidedAtMs: expect.any(Number),
    });
    expect(calls.map((call) => [call.activityType, call.attempt, call.workflowId])).toEqual([
      ['reserveStock', 1, workflowId],
      ['releaseStock', 1, workflowId],
    ]);
    const [replay] = await replayHistories(sampleWorkflowsPath, [{ name: workflowId, workflowId, history }]);
    expect(replay.error).toBeUndefined();

    if (process.env.SAVE_HISTORY_FIXTURES === '1') {
      writeHistoryFixture(path.join(historyFixturesDir, 'server.releaseAfterApproval.approved.json'), history);
    }
  });
});
