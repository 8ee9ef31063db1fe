/**
 * One workflow run inside the harness: its sandbox, and Core's and the server's side of the
 * conversation with it — activations in, commands out, activities, timers, children,
 * continue-as-new, and the history a server would record. See ./workflow-harness.ts for the API.
 */
import {
  arrayFromPayloads,
  defaultFailureConverter,
  defaultPayloadConverter,
  ensureApplicationFailure,
  toPayloads,
  TypedSearchAttributes,
  type Payload,
  type ProtoFailure,
} from '@temporalio/common';
import { msToTs, optionalTsToMs, tsToMs } from '@temporalio/common/lib/time';
import { coresdk, temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/worker';
import type { Workflow as SandboxedWorkflow } from '@temporalio/worker/lib/workflow/interface';
import type { VMWorkflowCreator } from '@temporalio/worker/lib/workflow/vm';
import { createUnsafeRandomSource } from '@temporalio/workflow/lib/random-helpers';
import type { VirtualScheduler } from './wf-clock';
import { HistoryBuilder, type RecordedJob } from './wf-history';
import { coreRandomnessSeed, deterministicRunId, u64ToBytesBE } from './wf-ids';

type ActivationJob = coresdk.workflow_activation.IWorkflowActivationJob;
type WorkflowCommand = coresdk.workflow_commands.IWorkflowCommand;
type ActivityResolution = coresdk.activity_result.IActivityResolution;
type ChildWorkflowResult = coresdk.child_workflow.IChildWorkflowResult;
const RetryStateProto = temporal.api.enums.v1.RetryState;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- activity signatures are arbitrary
export type ActivityImplementations = Record<string, (...args: any[]) => Promise<unknown>>;

export type WorkflowOutcome =
  | { status: 'running' }
  | { status: 'completed'; result: Payload | undefined }
  | { status: 'failed'; failure: ProtoFailure }
  | { status: 'continuedAsNew'; newRunId: string }
  | { status: 'workflowTaskFailed'; failure: ProtoFailure };

/** A `log.*` call made by workflow code (delivered through the SDK's logger sink). */
export interface WorkflowLogEntry {
  workflowId: string;
  level: string;
  message: string;
  atMs: number;
}

/** One activation of one run, as delivered and as answered (queries included). */
export interface HarnessActivationRecord {
  workflowId: string;
  runId: string;
  timestampMs: number;
  jobs: ActivationJob[];
  completion: coresdk.workflow_completion.IWorkflowActivationCompletion;
}

/** A workflow task failed (a bug or nondeterminism in workflow code): Temporal would retry it forever. */
export class WorkflowTaskFailedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly failure: ProtoFailure,
  ) {
    super(
      `Workflow task of ${workflowId} (run ${runId}) failed: ${failure.message}\n${failure.stackTrace ?? ''}`.trimEnd(),
    );
    this.name = 'WorkflowTaskFailedError';
  }
}

/** The harness cannot go on: unsupported command, unknown activity, a limit reached, blocked forever. */
export class WorkflowHarnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowHarnessError';
  }
}

const harnessIdentity = 'workflow-harness';
const sdkVersion: string = (require('@temporalio/worker/package.json') as { version: string }).version;

/** Shared state of one harness: clock, sandbox factory, activities, all runs (root and children). */
export interface Environment {
  scheduler: VirtualScheduler;
  creator: VMWorkflowCreator;
  activities: ActivityImplementations;
  activityLogger: Logger;
  taskQueue: string;
  namespace: string;
  workflowTaskTimeoutMs: number;
  activityAttemptsMax: number;
  runs: WorkflowRun[];
  activations: HarnessActivationRecord[];
  workflowLogs: WorkflowLogEntry[];
  fatalError: Error | undefined;
}

export interface ParentLink {
  run: WorkflowRun;
  seq: number;
  /** Run id reported to the parent: the first run of the child's chain. */
  firstRunId: string;
}

export interface RunStart {
  workflowId: string;
  workflowType: string;
  runNumber: number;
  input: Payload[];
  firstExecutionRunId?: string;
  continuedFromExecutionRunId?: string;
  parent?: ParentLink;
}

interface PendingActivity {
  command: coresdk.workflow_commands.IScheduleActivity;
  attempt: number;
  firstScheduledMs: number;
  stepId: number | undefined;
}

export class WorkflowRun {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowType: string;
  readonly firstExecutionRunId: string;
  readonly parent: ParentLink | undefined;
  readonly builder: HistoryBuilder;
  outcome: WorkflowOutcome = { status: 'running' };
  /** The run this one continued as, once it has. */
  next: WorkflowRun | undefined;
  private sandbox: SandboxedWorkflow | undefined;
  private readonly pendingSteps = new Set<number>();
  private readonly timers = new Map<number, number>();
  private readonly activities = new Map<number, PendingActivity>();
  private readonly usedFlags = new Set<number>();
  private lastQueryId = 0;

  constructor(
    private readonly env: Environment,
    private readonly start: RunStart,
  ) {
    this.workflowId = start.workflowId;
    this.workflowType = start.workflowType;
    this.runId = deterministicRunId(start.workflowId, start.runNumber);
    this.firstExecutionRunId = start.firstExecutionRunId ?? this.runId;
    this.parent = start.parent;
    this.builder = new HistoryBuilder({
      workflowId: this.workflowId,
      runId: this.runId,
      workflowType: this.workflowType,
      taskQueue: env.taskQueue,
      namespace: env.namespace,
      input: start.input,
      startTimeMs: env.scheduler.nowMs,
      workflowTaskTimeoutMs: env.workflowTaskTimeoutMs,
      firstExecutionRunId: this.firstExecutionRunId,
      continuedFromExecutionRunId: start.continuedFromExecutionRunId,
      attempt: 1,
      identity: harnessIdentity,
      sdkVersion,
      parent: start.parent && {
        workflowId: start.parent.run.workflowId,
        runId: start.parent.run.runId,
        namespace: env.namespace,
        initiatedEventId: start.parent.run.builder.childEventIds(start.parent.seq).initiatedEventId,
      },
    });
    env.runs.push(this);
  }

  get isRunning(): boolean {
    return this.outcome.status === 'running';
  }

  async begin(): Promise<void> {
    const nowMs = this.env.scheduler.nowMs;
    const parent = this.parent?.run;
    let root = parent;
    while (root?.parent) root = root.parent.run;
    this.sandbox = await this.env.creator.createWorkflow({
      info: {
        workflowId: this.workflowId,
        runId: this.runId,
        workflowType: this.workflowType,
        searchAttributes: {},
        typedSearchAttributes: new TypedSearchAttributes(),
        parent: parent && { workflowId: parent.workflowId, runId: parent.runId, namespace: this.env.namespace },
        root: root && { workflowId: root.workflowId, runId: root.runId },
        taskQueue: this.env.taskQueue,
        namespace: this.env.namespace,
        firstExecutionRunId: this.firstExecutionRunId,
        originalExecutionRunId: this.runId,
        continuedFromExecutionRunId: this.start.continuedFromExecutionRunId,
        startTime: new Date(nowMs),
        runStartTime: new Date(nowMs),
        taskTimeoutMs: this.env.workflowTaskTimeoutMs,
        attempt: 1,
        historyLength: 0,
        historySize: 0,
        continueAsNewSuggested: false,
        targetWorkerDeploymentVersionChanged: false,
        currentBuildId: '',
        unsafe: {
          now: () => this.env.scheduler.nowMs,
          isReplaying: false,
          isReplayingHistoryEvents: false,
          random: createUnsafeRandomSource(Math.random),
        },
      },
      randomnessSeed: u64ToBytesBE(coreRandomnessSeed(this.runId)),
      now: nowMs,
      showStackTraceSources: false,
    });
    // fromObject: the generated interfaces want Long for the u64 seed; a decimal string converts.
    await this.activate([
      {
        job: coresdk.workflow_activation.WorkflowActivationJob.fromObject({
          initializeWorkflow: {
            workflowType: this.workflowType,
            workflowId: this.workflowId,
            arguments: this.start.input,
            randomnessSeed: coreRandomnessSeed(this.runId).toString(),
            headers: {},
            identity: harnessIdentity,
            parentWorkflowInfo: parent && {
              namespace: this.env.namespace,
              workflowId: parent.workflowId,
              runId: parent.runId,
            },
            rootWorkflow: root && { workflowId: root.workflowId, runId: root.runId },
            workflowTaskTimeout: msToTs(this.env.workflowTaskTimeoutMs),
            continuedFromExecutionRunId: this.start.continuedFromExecutionRunId ?? '',
            firstExecutionRunId: this.firstExecutionRunId,
            originalExecutionRunId: this.runId,
            attempt: 1,
            startTime: msToTs(nowMs),
          },
        }),
      },
    ]);
  }

  async signal(signalName: string, args: unknown[]): Promise<void> {
    if (!this.isRunning) {
      throw new WorkflowHarnessError(`Cannot signal ${signalName}: workflow ${this.workflowId} is ${this.outcome.status}`);
    }
    await this.activate([
      {
        job: {
          signalWorkflow: {
            signalName,
            input: toPayloads(defaultPayloadConverter, ...args) ?? [],
            identity: harnessIdentity,
            headers: {},
          },
        },
      },
    ]);
  }

  async query(queryType: string, args: unknown[]): Promise<unknown> {
    const sandbox = this.requireSandbox();
    const queryId = `query-${++this.lastQueryId}`;
    const jobs: ActivationJob[] = [
      { queryWorkflow: { queryId, queryType, arguments: toPayloads(defaultPayloadConverter, ...args) ?? [], headers: {} } },
    ];
    const completion = await sandbox.activate(
      coresdk.workflow_activation.WorkflowActivation.fromObject({ runId: this.runId, jobs }),
    );
    this.env.activations.push({ workflowId: this.workflowId, runId: this.runId, timestampMs: this.env.scheduler.nowMs, jobs, completion });
    const answer = completion.successful?.commands?.find((command) => command.respondToQuery?.queryId === queryId)?.respondToQuery;
    if (answer?.succeeded) {
      return answer.succeeded.response ? defaultPayloadConverter.fromPayload(answer.succeeded.response) : undefined;
    }
    if (answer?.failed) throw defaultFailureConverter.failureToError(answer.failed, defaultPayloadConverter);
    throw new WorkflowHarnessError(
      `Query ${queryType} on ${this.workflowId} got no answer: ${JSON.stringify(completion.failed ?? completion.successful)}`,
    );
  }

  /** Deliver jobs as one activation; `sameTask` when Core would resolve them within the open workflow task. */
  async activate(jobs: RecordedJob[], sameTask = false): Promise<void> {
    const sandbox = this.requireSandbox();
    const timestampMs = this.env.scheduler.nowMs;
    const historyLength = sameTask ? this.builder.nextEventId - 1 : this.builder.beginWorkflowTask(timestampMs, jobs);
    const activationJobs = jobs.map((recorded) => recorded.job);
    const completion = await sandbox.activate(
      coresdk.workflow_activation.WorkflowActivation.fromObject({
        runId: this.runId,
        timestamp: msToTs(timestampMs),
        isReplaying: false,
        historyLength,
        jobs: activationJobs,
        availableInternalFlags: [...this.usedFlags],
      }),
    );
    this.env.activations.push({ workflowId: this.workflowId, runId: this.runId, timestampMs, jobs: activationJobs, completion });
    await this.collectWorkflowLogs(sandbox, timestampMs);
    if (completion.failed || !completion.successful) {
      const failure = completion.failed?.failure ?? { message: 'activation completed with neither success nor failure' };
      this.close({ status: 'workflowTaskFailed', failure });
      this.builder.markUnsupported('a failed workflow task');
      this.env.fatalError ??= new WorkflowTaskFailedError(this.workflowId, this.runId, failure);
      return;
    }
    const usedInternalFlags = completion.successful.usedInternalFlags ?? [];
    usedInternalFlags.forEach((flag) => this.usedFlags.add(flag));
    const commands = moveTerminalCommandsLast(completion.successful.commands ?? []);
    this.builder.addCompletion(commands, usedInternalFlags);
    const sameTaskJobs: RecordedJob[] = [];
    let continuedAsNew: WorkflowRun | undefined;
    for (const command of commands) {
      if (!this.isRunning) break;
      const result = this.handleCommand(command);
      if (result instanceof WorkflowRun) continuedAsNew = result;
      else if (result !== undefined) sameTaskJobs.push(result);
    }
    if (sameTaskJobs.length > 0 && this.isRunning) {
      await this.activate(sameTaskJobs, true);
      return;
    }
    this.builder.completeWorkflowTask(timestampMs, continuedAsNew?.runId);
  }

  /** Returns a job Core would deliver within the same task, or the run continued as. */
  private handleCommand(command: WorkflowCommand): RecordedJob | WorkflowRun | undefined {
    const nowMs = this.env.scheduler.nowMs;
    if (command.scheduleActivity) {
      const seq = command.scheduleActivity.seq ?? 0;
      const pending: PendingActivity = { command: command.scheduleActivity, attempt: 1, firstScheduledMs: nowMs, stepId: undefined };
      this.activities.set(seq, pending);
      pending.stepId = this.scheduleStep(nowMs, `activity ${command.scheduleActivity.activityType}#${seq}`, () =>
        this.runActivityAttempt(seq),
      );
      return undefined;
    }
    if (command.requestCancelActivity) {
      return this.cancelActivity(command.requestCancelActivity.seq ?? 0);
    }
    if (command.startTimer) {
      const seq = command.startTimer.seq ?? 0;
      const durationMs = tsToMs(command.startTimer.startToFireTimeout);
      const stepId = this.scheduleStep(nowMs + durationMs, `timer ${seq} (${durationMs} ms)`, async () => {
        this.timers.delete(seq);
        await this.activate([{ job: { fireTimer: { seq } } }]);
      });
      this.timers.set(seq, stepId);
      return undefined;
    }
    if (command.cancelTimer) {
      const seq = command.cancelTimer.seq ?? 0;
      const stepId = this.timers.get(seq);
      if (stepId !== undefined) this.cancelStep(stepId);
      this.timers.delete(seq);
      return undefined;
    }
    if (command.startChildWorkflowExecution) {
      const attrs = command.startChildWorkflowExecution;
      this.scheduleStep(nowMs, `start child ${attrs.workflowType} ${attrs.workflowId}`, () => this.startChild(attrs));
      return undefined;
    }
    if (command.completeWorkflowExecution) {
      this.close({ status: 'completed', result: command.completeWorkflowExecution.result ?? undefined });
      return undefined;
    }
    if (command.failWorkflowExecution) {
      this.close({ status: 'failed', failure: command.failWorkflowExecution.failure ?? { message: 'no failure given' } });
      return undefined;
    }
    if (command.continueAsNewWorkflowExecution) {
      return this.continueAsNew(command.continueAsNewWorkflowExecution);
    }
    if (command.respondToQuery) return undefined;
    // patched() is true on a first run: nothing to simulate; the history builder records the marker.
    if (command.setPatchMarker) return undefined;
    const kind = Object.keys(command).filter((key) => key !== 'userMetadata' && key !== 'eventGroupMarkers');
    if (command.upsertWorkflowSearchAttributes || command.modifyWorkflowProperties) {
      // Nothing to simulate, but the history builder does not write these events yet.
      this.builder.markUnsupported(`command ${kind.join(', ')}`);
      return undefined;
    }
    this.env.fatalError ??= new WorkflowHarnessError(
      `Workflow ${this.workflowId} issued a command the harness does not support yet: ${kind.join(', ')}. ` +
        'Extend test/support/workflow-harness.ts (and wf-history.ts for replay fixtures).',
    );
    return undefined;
  }

  private cancelActivity(seq: number): RecordedJob | undefined {
    const pending = this.activities.get(seq);
    if (pending === undefined) return undefined;
    if (pending.stepId !== undefined) this.cancelStep(pending.stepId);
    this.activities.delete(seq);
    this.builder.markUnsupported('activity cancellation');
    return {
      job: {
        resolveActivity: {
          seq,
          result: {
            cancelled: {
              failure: {
                message: 'Activity cancelled',
                source: 'TypeScriptSDK',
                cause: { message: 'Activity cancelled', canceledFailureInfo: {} },
                activityFailureInfo: {
                  activityType: { name: pending.command.activityType },
                  activityId: pending.command.activityId,
                  retryState: RetryStateProto.RETRY_STATE_CANCEL_REQUESTED,
                  identity: harnessIdentity,
                },
              },
            },
          },
        },
      },
    };
  }

  private async runActivityAttempt(seq: number): Promise<void> {
    const pending = this.activities.get(seq);
    if (pending === undefined) return;
    pending.stepId = undefined;
    const { command, attempt } = pending;
    const activityType = command.activityType ?? '';
    const implementation = this.env.activities[activityType];
    if (implementation === undefined) {
      this.env.fatalError ??= new WorkflowHarnessError(
        `Workflow ${this.workflowId} scheduled activity '${activityType}', which is not among the harness activities ` +
          `[${Object.keys(this.env.activities).join(', ')}]`,
      );
      return;
    }
    const nowMs = this.env.scheduler.nowMs;
    const activityEnvironment = new MockActivityEnvironment(
      {
        activityId: command.activityId ?? String(seq),
        activityType,
        attempt,
        taskQueue: command.taskQueue || this.env.taskQueue,
        workflowType: this.workflowType,
        workflowExecution: { workflowId: this.workflowId, runId: this.runId },
        workflowNamespace: this.env.namespace,
        activityNamespace: this.env.namespace,
        namespace: this.env.namespace,
        scheduledTimestampMs: pending.firstScheduledMs,
        currentAttemptScheduledTimestampMs: nowMs,
        startToCloseTimeoutMs: optionalTsToMs(command.startToCloseTimeout) ?? 0,
        scheduleToCloseTimeoutMs: optionalTsToMs(command.scheduleToCloseTimeout) ?? 0,
        heartbeatTimeoutMs: optionalTsToMs(command.heartbeatTimeout),
        isLocal: false,
        inWorkflow: true,
      },
      { logger: this.env.activityLogger },
    );
    const args = arrayFromPayloads(defaultPayloadConverter, command.arguments ?? []);
    let resolution: ActivityResolution;
    try {
      const value = await activityEnvironment.run(implementation, ...args);
      resolution = { completed: { result: defaultPayloadConverter.toPayload(value) } };
    } catch (error) {
      const failure = defaultFailureConverter.errorToFailure(ensureApplicationFailure(error), defaultPayloadConverter);
      const decision = this.decideRetry(pending, failure);
      if (this.env.fatalError !== undefined) return;
      if (decision.retryAfterMs !== undefined) {
        pending.attempt++;
        pending.stepId = this.scheduleStep(
          nowMs + decision.retryAfterMs,
          `activity ${activityType}#${seq} attempt ${pending.attempt}`,
          () => this.runActivityAttempt(seq),
        );
        return;
      }
      const ids = this.builder.activityResolutionEventIds(seq);
      resolution = {
        failed: {
          failure: temporal.api.failure.v1.Failure.fromObject({
            message: 'Activity task failed',
            cause: failure,
            activityFailureInfo: {
              scheduledEventId: ids.scheduledEventId,
              startedEventId: ids.startedEventId,
              identity: harnessIdentity,
              activityType: { name: activityType },
              activityId: command.activityId,
              retryState: decision.retryState,
            },
          }),
        },
      };
    }
    this.activities.delete(seq);
    await this.activate([{ job: { resolveActivity: { seq, result: resolution } }, activityAttempt: attempt }]);
  }

  /** The server's retry rules for an activity attempt that failed. */
  private decideRetry(
    pending: PendingActivity,
    failure: ProtoFailure,
  ): { retryAfterMs: number; retryState?: undefined } | { retryAfterMs?: undefined; retryState: temporal.api.enums.v1.RetryState } {
    const policy = pending.command.retryPolicy;
    const applicationInfo = failure.applicationFailureInfo;
    const nonRetryableTypes = policy?.nonRetryableErrorTypes ?? [];
    if (applicationInfo?.nonRetryable || nonRetryableTypes.includes(applicationInfo?.type ?? '')) {
      return { retryState: RetryStateProto.RETRY_STATE_NON_RETRYABLE_FAILURE };
    }
    const maximumAttempts = policy?.maximumAttempts ?? 0;
    if (maximumAttempts > 0 && pending.attempt >= maximumAttempts) {
      return { retryState: RetryStateProto.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
    }
    const initialIntervalMs = optionalTsToMs(policy?.initialInterval) || 1000;
    const backoffCoefficient = policy?.backoffCoefficient || 2;
    const maximumIntervalMs = optionalTsToMs(policy?.maximumInterval) || 100 * initialIntervalMs;
    const retryAfterMs =
      optionalTsToMs(applicationInfo?.nextRetryDelay) ??
      Math.min(initialIntervalMs * backoffCoefficient ** (pending.attempt - 1), maximumIntervalMs);
    const scheduleToCloseMs = optionalTsToMs(pending.command.scheduleToCloseTimeout);
    if (scheduleToCloseMs && this.env.scheduler.nowMs + retryAfterMs - pending.firstScheduledMs >= scheduleToCloseMs) {
      return { retryState: RetryStateProto.RETRY_STATE_TIMEOUT };
    }
    if (pending.attempt >= this.env.activityAttemptsMax) {
      this.env.fatalError ??= new WorkflowHarnessError(
        `Activity ${pending.command.activityType} of ${this.workflowId} failed ${pending.attempt} times and its retry ` +
          `policy allows more (maximumAttempts ${maximumAttempts || 'unlimited'}); last failure: ${failure.message}. ` +
          'Raise activityAttemptsMax or give the activity a maximumAttempts.',
      );
      return { retryState: RetryStateProto.RETRY_STATE_IN_PROGRESS };
    }
    return { retryAfterMs };
  }

  private async startChild(attrs: coresdk.workflow_commands.IStartChildWorkflowExecution): Promise<void> {
    const seq = attrs.seq ?? 0;
    const workflowId = attrs.workflowId ?? '';
    if (this.env.runs.some((run) => run.workflowId === workflowId && run.isRunning)) {
      this.env.fatalError ??= new WorkflowHarnessError(
        `Child workflow id ${workflowId} is already running; the harness does not model WORKFLOW_ALREADY_EXISTS`,
      );
      return;
    }
    const child = new WorkflowRun(this.env, {
      workflowId,
      workflowType: attrs.workflowType ?? '',
      runNumber: 1,
      input: attrs.input ?? [],
      parent: { run: this, seq, firstRunId: deterministicRunId(workflowId, 1) },
    });
    await child.begin();
    if (this.isRunning) {
      await this.activate([{ job: { resolveChildWorkflowExecutionStart: { seq, succeeded: { runId: child.runId } } } }]);
    }
  }

  private continueAsNew(attrs: coresdk.workflow_commands.IContinueAsNewWorkflowExecution): WorkflowRun {
    const next = new WorkflowRun(this.env, {
      workflowId: this.workflowId,
      workflowType: attrs.workflowType || this.workflowType,
      runNumber: this.start.runNumber + 1,
      input: attrs.arguments ?? [],
      firstExecutionRunId: this.firstExecutionRunId,
      continuedFromExecutionRunId: this.runId,
      parent: this.parent,
    });
    this.next = next;
    this.close({ status: 'continuedAsNew', newRunId: next.runId });
    this.scheduleStep(this.env.scheduler.nowMs, `continue ${this.workflowId} as new`, () => next.begin(), true);
    return next;
  }

  private close(outcome: WorkflowOutcome): void {
    this.outcome = outcome;
    for (const stepId of this.pendingSteps) this.env.scheduler.cancel(stepId);
    this.pendingSteps.clear();
    this.timers.clear();
    this.activities.clear();
    const parent = this.parent;
    if (parent === undefined || outcome.status === 'continuedAsNew' || outcome.status === 'workflowTaskFailed') return;
    const result: ChildWorkflowResult =
      outcome.status === 'completed'
        ? { completed: { result: outcome.result } }
        : { failed: { failure: this.childFailure(parent, outcome.status === 'failed' ? outcome.failure : {}) } };
    this.env.scheduler.schedule(this.env.scheduler.nowMs, `child ${this.workflowId} result`, async () => {
      if (parent.run.isRunning) {
        await parent.run.activate([{ job: { resolveChildWorkflowExecution: { seq: parent.seq, result } } }]);
      }
    });
  }

  /** How Core wraps a child's failure (ChildWorkflowFailure). */
  private childFailure(parent: ParentLink, failure: ProtoFailure): ProtoFailure {
    const ids = parent.run.builder.childEventIds(parent.seq);
    return temporal.api.failure.v1.Failure.fromObject({
      message: 'Child Workflow execution failed',
      cause: failure,
      childWorkflowExecutionFailureInfo: {
        namespace: this.env.namespace,
        workflowExecution: { workflowId: this.workflowId, runId: parent.firstRunId },
        workflowType: { name: this.workflowType },
        initiatedEventId: ids.initiatedEventId,
        startedEventId: ids.startedEventId,
        retryState: RetryStateProto.RETRY_STATE_RETRY_POLICY_NOT_SET,
      },
    });
  }

  private async collectWorkflowLogs(sandbox: SandboxedWorkflow, atMs: number): Promise<void> {
    for (const call of await sandbox.getAndResetSinkCalls()) {
      if (call.ifaceName !== '__temporal_logger') continue;
      this.env.workflowLogs.push({ workflowId: this.workflowId, level: call.fnName, message: String(call.args[0]), atMs });
    }
  }

  private scheduleStep(dueMs: number, label: string, run: () => Promise<void>, survivesClose = false): number {
    const stepId = this.env.scheduler.schedule(dueMs, `${this.workflowId}: ${label}`, async () => {
      this.pendingSteps.delete(stepId);
      await run();
    });
    if (!survivesClose) this.pendingSteps.add(stepId);
    return stepId;
  }

  private cancelStep(stepId: number): void {
    this.env.scheduler.cancel(stepId);
    this.pendingSteps.delete(stepId);
  }

  private requireSandbox(): SandboxedWorkflow {
    if (this.sandbox === undefined) throw new WorkflowHarnessError(`Workflow ${this.workflowId} has not started`);
    return this.sandbox;
  }

  async dispose(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    await sandbox?.dispose();
  }
}

/**
 * Core (flag MoveTerminalCommands) sends every non-terminal command, then the first terminal
 * one; later terminal commands are dropped.
 */
function moveTerminalCommandsLast(commands: WorkflowCommand[]): WorkflowCommand[] {
  const isTerminal = (command: WorkflowCommand): boolean =>
    Boolean(command.completeWorkflowExecution || command.failWorkflowExecution || command.continueAsNewWorkflowExecution || command.cancelWorkflowExecution);
  const firstTerminal = commands.find(isTerminal);
  return [...commands.filter((command) => !isTerminal(command)), ...(firstTerminal ? [firstTerminal] : [])];
}
