/**
 * Self-tests of the offline workflow harness, driving the sample workflow in the SDK sandbox.
 * Expected figures are worked out by hand from the sample's retry policies and timers.
 */
import { WorkflowContinuedAsNewError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  startWorkflow,
  WorkflowHarnessError,
  WorkflowTaskFailedError,
  type WorkflowHarness,
} from '../../support/workflow-harness';
import { sampleWorkflowsPath } from '../../workflow-harness/fixture-scenarios';
import { createSampleActivities, type SampleActivityCall } from '../../workflow-harness/sample/activities';
import { approveSignal, describeLotQuery, releaseStatusQuery } from '../../workflow-harness/sample/definitions';
import type {
  chargeRefused,
  chargeWithRetry,
  countDownRuns,
  failsWorkflowTask,
  releaseAfterApproval,
  reserveLot,
  reserveViaChild,
} from '../../workflow-harness/sample/workflows';

const startMs = Date.UTC(2024, 0, 1);
const secondMs = 1000;
const minuteMs = 60 * secondMs;
const hourMs = 60 * minuteMs;

let calls: SampleActivityCall[];
let harness: WorkflowHarness | undefined;

function options(workflowId: string) {
  return { workflowsPath: sampleWorkflowsPath, activities: createSampleActivities({ calls }), workflowId };
}

function eventTypes(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).map((event) =>
    temporal.api.enums.v1.EventType[event.eventType ?? 0].replace('EVENT_TYPE_', ''),
  );
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

beforeEach(() => {
  calls = [];
});

afterEach(async () => {
  await harness?.dispose();
  harness = undefined;
});

describe('activities', () => {
  it('runs the activity named by ScheduleActivity inside an activity context and returns its result', async () => {
    const run = await startWorkflow<typeof reserveLot>('reserveLot', { ...options('reserve-1'), args: ['lot-1', '100'] });
    harness = run;

    await expect(run.result()).resolves.toBe('hold:lot-1:100kg');
    expect(calls).toEqual([
      { activityType: 'reserveStock', activityId: '1', attempt: 1, workflowId: 'reserve-1', args: ['lot-1', '100'] },
    ]);
    const [schedule] = run.commands();
    expect(schedule.scheduleActivity?.activityType).toBe('reserveStock');
    expect(schedule.scheduleActivity?.retryPolicy?.maximumAttempts).toBe(1);
  });

  it('retries an activity that fails twice, backing off 2 s then 6 s on the virtual clock', async () => {
    const run = await startWorkflow<typeof chargeWithRetry>('chargeWithRetry', { ...options('charge-1'), args: ['charge-key-1'] });
    harness = run;

    const { receipt, chargedAtMs } = await run.result();

    expect(receipt).toEqual({ chargeKey: 'charge-key-1', attempt: 3, activityId: '1', workflowId: 'charge-1' });
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
    // initialInterval 2 s, backoffCoefficient 3: attempt 2 after 2 s, attempt 3 after 6 s more.
    expect(chargedAtMs).toBe(startMs + 8 * secondMs);
    const started = run.history().events.find((event) => event.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(3);
  });

  it('does not retry an ApplicationFailure.nonRetryable and fails the workflow with it', async () => {
    const run = await startWorkflow<typeof chargeRefused>('chargeRefused', { ...options('refused-1'), args: ['non-retryable-flag'] });
    harness = run;

    const error = await failureOf(run.result());

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (error as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect((activityFailure as ActivityFailure).activityType).toBe('refuseCharge');
    expect((activityFailure as ActivityFailure).retryState).toBe('NON_RETRYABLE_FAILURE');
    const cause = (activityFailure as ActivityFailure).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect([cause.type, cause.nonRetryable, cause.message]).toEqual(['ChargeRefused', true, 'charge refused on attempt 1']);
    expect(calls.map((call) => call.attempt)).toEqual([1]);
    expect(run.outcome.status).toBe('failed');
  });

  it('does not retry an error type listed in nonRetryableErrorTypes', async () => {
    const run = await startWorkflow<typeof chargeRefused>('chargeRefused', { ...options('refused-2'), args: ['non-retryable-type'] });
    harness = run;

    const activityFailure = ((await failureOf(run.result())) as WorkflowFailedError).cause as ActivityFailure;

    expect(activityFailure.retryState).toBe('NON_RETRYABLE_FAILURE');
    const cause = activityFailure.cause as ApplicationFailure;
    expect([cause.type, cause.nonRetryable, cause.message]).toEqual(['InsufficientCredit', false, 'insufficient credit on attempt 1']);
    expect(calls.map((call) => call.attempt)).toEqual([1]);
  });

  it('stops retrying at maximumAttempts (3), after 1 s and 2 s of backoff', async () => {
    const run = await startWorkflow<typeof chargeRefused>('chargeRefused', { ...options('refused-3'), args: ['always-retryable'] });
    harness = run;

    const activityFailure = ((await failureOf(run.result())) as WorkflowFailedError).cause as ActivityFailure;

    expect(activityFailure.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    expect((activityFailure.cause as ApplicationFailure).message).toBe('bank unavailable on attempt 3');
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
    expect(run.nowMs).toBe(startMs + 3 * secondMs);
  });

  it('reports an activity type missing from the harness activities', async () => {
    harness = await startWorkflow<typeof reserveLot>('reserveLot', {
      workflowsPath: sampleWorkflowsPath,
      activities: {},
      workflowId: 'reserve-missing',
      args: ['lot-1', '1'],
    });

    await expect(harness.result()).rejects.toThrow(
      new WorkflowHarnessError(
        "Workflow reserve-missing scheduled activity 'reserveStock', which is not among the harness activities []",
      ),
    );
  });
});

describe('condition(fn, timeout) racing a signal', () => {
  const request = { lotId: 'lot-7', quantityKg: '250', approvalTimeoutMs: 24 * hourMs, coolingOffMs: hourMs };

  it('takes the signal branch when approval arrives in time, and the cancelled timeout timer never fires', async () => {
    // The 1 h approval timeout would fire at 01:00, during the cooling-off (00:30 to 01:30).
    const run = await startWorkflow<typeof releaseAfterApproval>('releaseAfterApproval', {
      ...options('release-1'),
      args: [{ ...request, approvalTimeoutMs: hourMs }],
    });
    harness = run;
    expect(await run.query(releaseStatusQuery)).toBe('awaiting-approval');

    await run.advanceTime(30 * minuteMs);
    await run.signal(approveSignal, 'lender-approver-1');

    expect(await run.query(releaseStatusQuery)).toBe('cooling-off');
    expect(run.commands()).toContainEqual(expect.objectContaining({ cancelTimer: { seq: 1 } }));
    await run.advanceTime(hourMs - 1);
    expect(await run.query(releaseStatusQuery)).toBe('cooling-off');
    await run.advanceTime(1);
    expect(run.outcome.status).toBe('completed');
    await expect(run.result()).resolves.toEqual({
      lotId: 'lot-7',
      released: true,
      approverId: 'lender-approver-1',
      receipt: 'release:hold:lot-7:250kg:by:lender-approver-1',
      decidedAtMs: startMs + 30 * minuteMs + hourMs,
    });
    expect(calls.map((call) => call.activityType)).toEqual(['reserveStock', 'releaseStock']);
    const deliveredJobs = run.activations
      .flatMap((activation) => activation.jobs.map((job) => ({ atMs: activation.timestampMs - startMs, job })))
      .filter(({ job }) => !job.queryWorkflow)
      .map(({ atMs, job }) => [atMs, Object.keys(job)[0], job.fireTimer?.seq ?? job.resolveActivity?.seq]);
    expect(deliveredJobs).toEqual([
      [0, 'initializeWorkflow', undefined],
      [0, 'resolveActivity', 1],
      [30 * minuteMs, 'signalWorkflow', undefined],
      [90 * minuteMs, 'fireTimer', 2],
      [90 * minuteMs, 'resolveActivity', 2],
    ]);
    expect(eventTypes(run.history())).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_CANCELED',
      'TIMER_STARTED',
      'TIMER_FIRED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  it('takes the timeout branch when no approval arrives, exactly at the timeout', async () => {
    const run = await startWorkflow<typeof releaseAfterApproval>('releaseAfterApproval', { ...options('release-2'), args: [request] });
    harness = run;

    await run.advanceTime(24 * hourMs - 1);
    expect(await run.query(releaseStatusQuery)).toBe('awaiting-approval');
    await run.advanceTime(1);

    expect(await run.query(releaseStatusQuery)).toBe('expired');
    await expect(run.result()).resolves.toEqual({
      lotId: 'lot-7',
      released: false,
      approverId: null,
      receipt: null,
      decidedAtMs: startMs + 24 * hourMs,
    });
    expect(calls.map((call) => [call.activityType, call.args])).toEqual([
      ['reserveStock', ['lot-7', '250']],
      ['cancelHold', ['hold:lot-7:250kg']],
    ]);
    expect(run.workflowLogs.filter((entry) => entry.level === 'info')).toEqual([
      { workflowId: 'release-2', level: 'info', message: 'approval of lot-7 expired', atMs: startMs + 24 * hourMs },
    ]);
    await expect(run.signal(approveSignal, 'too-late')).rejects.toThrow(
      new WorkflowHarnessError('Cannot signal approve: workflow release-2 is completed'),
    );
  });
});

describe('queries', () => {
  it('answers a query with arguments, and rejects an unknown one', async () => {
    const run = await startWorkflow<typeof releaseAfterApproval>('releaseAfterApproval', {
      ...options('release-3'),
      args: [{ lotId: 'lot-3', quantityKg: '12.5', approvalTimeoutMs: minuteMs, coolingOffMs: minuteMs }],
    });
    harness = run;

    expect(await run.query(describeLotQuery, 'Lot ')).toBe('Lot lot-3 (12.5 kg)');
    await expect(run.query('noSuchQuery')).rejects.toThrow(
      'Workflow did not register a handler for noSuchQuery. Registered queries: [__stack_trace __enhanced_stack_trace __temporal_workflow_metadata releaseStatus describeLot]',
    );
    // Queries are not history.
    expect(eventTypes(run.history())).not.toContain('WORKFLOW_EXECUTION_SIGNALED');
  });
});

describe('child workflows', () => {
  it('runs the child in its own sandbox on the same clock and resolves start and result', async () => {
    const run = await startWorkflow<typeof reserveViaChild>('reserveViaChild', { ...options('parent-1'), args: ['lot-9', '12.5'] });
    harness = run;

    const { holdId, childWorkflowId } = await run.result();

    expect(holdId).toBe('hold:lot-9:12.5kg');
    expect(childWorkflowId).toMatch(/^parent-1\/reserve-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run.runs.map(({ workflowId, workflowType, parentWorkflowId, outcome }) => ({
      workflowId,
      workflowType,
      parentWorkflowId,
      status: outcome.status,
    }))).toEqual([
      { workflowId: 'parent-1', workflowType: 'reserveViaChild', parentWorkflowId: undefined, status: 'completed' },
      { workflowId: childWorkflowId, workflowType: 'reserveLot', parentWorkflowId: 'parent-1', status: 'completed' },
    ]);
    expect(calls).toEqual([
      { activityType: 'reserveStock', activityId: '1', attempt: 1, workflowId: childWorkflowId, args: ['lot-9', '12.5'] },
    ]);
    expect(eventTypes(run.history()).filter((type) => type.includes('CHILD'))).toEqual([
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });
});

describe('continue-as-new and failed workflow tasks', () => {
  it('follows continue-as-new to the last run, or reports it when not following', async () => {
    const following = await startWorkflow<typeof countDownRuns>('countDownRuns', { ...options('countdown-1'), args: [2] });
    harness = following;
    await expect(following.result()).resolves.toBe(3);
    expect(following.runs.map((run) => [run.workflowId, run.outcome.status])).toEqual([
      ['countdown-1', 'continuedAsNew'],
      ['countdown-1', 'continuedAsNew'],
      ['countdown-1', 'completed'],
    ]);
    expect(following.runId).toBe(following.runs[2].runId);
    await following.dispose();

    const notFollowing = await startWorkflow<typeof countDownRuns>('countDownRuns', {
      ...options('countdown-2'),
      args: [1],
      followContinueAsNew: false,
    });
    harness = notFollowing;
    const error = await failureOf(notFollowing.result());
    expect(error).toBeInstanceOf(WorkflowContinuedAsNewError);
    expect((error as WorkflowContinuedAsNewError).newExecutionRunId).toBe(notFollowing.runs[1].runId);
  });

  it('surfaces a workflow task failure (a plain Error in workflow code) instead of hanging', async () => {
    const run = await startWorkflow<typeof failsWorkflowTask>('failsWorkflowTask', { ...options('buggy-1'), args: ['lot-404'] });
    harness = run;

    const error = await failureOf(run.result());

    expect(error).toBeInstanceOf(WorkflowTaskFailedError);
    expect((error as WorkflowTaskFailedError).failure.message).toBe('no custody record for lot-404');
    expect(run.outcome.status).toBe('workflowTaskFailed');
  });
});
