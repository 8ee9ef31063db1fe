/**
 * The draw workflow on a real Temporal server with the real activities and a
 * real PostgreSQL (the run's server: test/support/temporal-server.ts): a single-approval
 * draw, signalled after the decision is committed, disbursed once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction } from '../../../prisma/client';
import { recordDecision } from '../../../prisma/draws/store';
import { decisionRecordedSignal, drawStateQuery, type DrawWorkflowResult } from '../../../workflows/draws/definitions';
import { createTestApi, type TestApi } from '../../support/api';
import { replayHistories } from '../../support/wf-replay';
import { describeWithTemporalServer, runWithWorker } from '../../support/wf-server';
import { drawLine, lineBalances } from '../../draws/factories';
import { actorOf, committedDraw, drawWorkflowsPath, realActivities } from './support';

const statePollsMax = 200;

describeWithTemporalServer('draw workflow on a real Temporal server', (server) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api?.close());

  it('waits for one approver, disburses once, and its history replays', async () => {
    const { env } = server();
    const line = await drawLine(api);
    const draw = await committedDraw(api, line, '3000.00');
    const taskQueue = `draws-${process.pid}-${Date.now()}`;
    const { result, history } = await runWithWorker(server(), { workflowsPath: drawWorkflowsPath, activities: realActivities(api), taskQueue }, async () => {
      const handle = await env.client.workflow.start('drawWorkflow', { taskQueue, workflowId: draw.workflowId, args: [{ drawId: draw.id }] });
      for (let poll = 0; (await handle.query(drawStateQuery)).phase !== 'AWAITING_APPROVAL'; poll++) {
        if (poll >= statePollsMax) throw new Error(`${draw.workflowId} never reached AWAITING_APPROVAL`);
        await sleep(50);
      }
      await inTransaction(api.db.prisma, (tx) => recordDecision(tx, actorOf(line.approverA, 'LENDER', 'APPROVER'), draw.id, { decision: 'APPROVE', reason: null, now: new Date() }));
      await handle.signal(decisionRecordedSignal);
      return { result: (await handle.result()) as DrawWorkflowResult, history: await handle.fetchHistory() };
    });
    expect(result.phase).toBe('DISBURSED');
    expect(await lineBalances(api, line.lineId)).toMatchObject({ LOAN_PRINCIPAL: '3000.00', FEES_RECEIVABLE: '25.00' });
    const [replay] = await replayHistories(drawWorkflowsPath, [{ name: draw.workflowId, workflowId: draw.workflowId, history }]);
    expect(replay.error).toBeUndefined();
    // Bundling the workflow for a real Worker takes most of this on a busy machine.
  }, 90_000);
});
