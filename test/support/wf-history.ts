/**
 * Synthesises a `temporal.api.history.v1.History` from what the workflow harness did, the way a
 * Temporal server would have recorded it, so that `Worker.runReplayHistory` can check workflow
 * code for determinism without a server.
 *
 * One harness activation is one workflow task: the events that caused it (timer fired, activity
 * completed, signal…), then WorkflowTaskScheduled / Started, then — once the task's commands are
 * known — WorkflowTaskCompleted followed by one event per command. Event ids and the
 * scheduledEventId / startedEventId / initiatedEventId / workflowTaskCompletedEventId links are
 * the ones the server would assign. Anything the builder cannot express faithfully is recorded as
 * unsupported and makes `toHistory()` throw, rather than producing a history that lies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { msToTs } from '@temporalio/common/lib/time';
import * as protoRoot from '@temporalio/proto';
import { coresdk, temporal } from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * Events are assembled as plain objects and converted by `History.fromObject` (which accepts
 * numbers for int64 fields, where the generated interfaces demand Long).
 */
type HistoryEventDraft = Record<string, unknown>;
type Payload = temporal.api.common.v1.IPayload;
type ActivationJob = coresdk.workflow_activation.IWorkflowActivationJob;
type WorkflowCommand = coresdk.workflow_commands.IWorkflowCommand;

const EventType = temporal.api.enums.v1.EventType;
const RetryStateProto = temporal.api.enums.v1.RetryState;

/** What Core records in the first WorkflowTaskCompleted of a fresh execution (all known core flags). */
const coreFlagsRecordedOnFirstTask = [1, 2, 3];
/** Core's UpsertSearchAttributeOnPatch (sdk-core internal_flags.rs). */
const UPSERT_SEARCH_ATTRIBUTE_ON_PATCH_FLAG = 2;
const sdkName = 'temporal-typescript';

export interface HistoryStartAttributes {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  namespace: string;
  input: Payload[];
  startTimeMs: number;
  workflowTaskTimeoutMs: number;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  attempt: number;
  identity: string;
  sdkVersion: string;
  parent?: { workflowId: string; runId: string; namespace: string; initiatedEventId: number };
}

/** A job of an activation plus what the server would know about it and the workflow does not. */
export interface RecordedJob {
  job: ActivationJob;
  /** For `resolveActivity`: the attempt whose outcome resolved the activity. */
  activityAttempt?: number;
}

interface ScheduledActivity {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
}

interface InitiatedChild {
  initiatedEventId: number;
  startedEventId?: number;
  workflowId: string;
  workflowType: string;
  namespace: string;
  runId?: string;
}

interface OpenWorkflowTask {
  scheduledEventId: number;
  startedEventId: number;
  commands: WorkflowCommand[];
  langFlags: Set<number>;
}

export class HistoryBuilder {
  private readonly events: HistoryEventDraft[] = [];
  private readonly unsupported: string[] = [];
  /** Patch ids the run has recorded markers for (the TemporalChangeVersion search attribute). */
  private readonly patchIds = new Set<string>();
  private readonly activities = new Map<number, ScheduledActivity>();
  private readonly timers = new Map<number, number>();
  private readonly children = new Map<number, InitiatedChild>();
  private readonly recordedLangFlags = new Set<number>();
  private openTask: OpenWorkflowTask | undefined;
  private completedTaskCount = 0;
  private closed = false;

  constructor(private readonly start: HistoryStartAttributes) {
    this.append(start.startTimeMs, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowId: start.workflowId,
        workflowType: { name: start.workflowType },
        taskQueue: { name: start.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        input: { payloads: start.input },
        workflowTaskTimeout: msToTs(start.workflowTaskTimeoutMs),
        continuedExecutionRunId: start.continuedFromExecutionRunId ?? '',
        initiator: start.continuedFromExecutionRunId
          ? temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW
          : undefined,
        originalExecutionRunId: start.runId,
        firstExecutionRunId: start.firstExecutionRunId,
        identity: start.identity,
        attempt: start.attempt,
        header: {},
        parentWorkflowNamespace: start.parent?.namespace,
        parentWorkflowExecution: start.parent
          ? { workflowId: start.parent.workflowId, runId: start.parent.runId }
          : undefined,
        parentInitiatedEventId: start.parent?.initiatedEventId,
      },
    });
  }

  /** The id the next event will get. */
  get nextEventId(): number {
    return this.events.length + 1;
  }

  /** Event ids an activity resolution delivered in the next workflow task will have. */
  activityResolutionEventIds(seq: number): { scheduledEventId: number; startedEventId: number } {
    return { scheduledEventId: this.activities.get(seq)?.scheduledEventId ?? 0, startedEventId: this.nextEventId };
  }

  /** Event ids of a child workflow, as far as they are known. */
  childEventIds(seq: number): { initiatedEventId: number; startedEventId: number } {
    const child = this.children.get(seq);
    return { initiatedEventId: child?.initiatedEventId ?? 0, startedEventId: child?.startedEventId ?? 0 };
  }

  /**
   * Record the events that cause a workflow task, then WorkflowTaskScheduled and Started.
   * Returns the history length the activation reports (the WorkflowTaskStarted event id).
   */
  beginWorkflowTask(timestampMs: number, jobs: RecordedJob[]): number {
    if (this.openTask !== undefined) throw new Error('HistoryBuilder: previous workflow task was not completed');
    if (this.closed) this.markUnsupported('workflow task after the execution closed');
    for (const recorded of jobs) this.appendJobEvents(timestampMs, recorded);
    const scheduledEventId = this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: {
        taskQueue: { name: this.start.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        startToCloseTimeout: msToTs(this.start.workflowTaskTimeoutMs),
        attempt: 1,
      },
    });
    const startedEventId = this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId,
        identity: this.start.identity,
        requestId: `${this.start.runId}/wft/${scheduledEventId}`,
      },
    });
    this.openTask = { scheduledEventId, startedEventId, commands: [], langFlags: new Set() };
    return startedEventId;
  }

  /** Add the commands (and SDK flags used) of an activation belonging to the open workflow task. */
  addCompletion(commands: WorkflowCommand[], usedInternalFlags: number[]): void {
    const task = this.requireOpenTask();
    task.commands.push(...commands);
    for (const flag of usedInternalFlags) task.langFlags.add(flag);
  }

  /**
   * WorkflowTaskCompleted, then one event per command the server would have recorded.
   * `continuedAsNewRunId` is the run a ContinueAsNew command in this task started.
   */
  completeWorkflowTask(timestampMs: number, continuedAsNewRunId?: string): void {
    const task = this.requireOpenTask();
    const newLangFlags = [...task.langFlags].filter((flag) => !this.recordedLangFlags.has(flag)).sort((a, b) => a - b);
    newLangFlags.forEach((flag) => this.recordedLangFlags.add(flag));
    const isFirstTask = this.completedTaskCount === 0;
    const completedEventId = this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: task.scheduledEventId,
        startedEventId: task.startedEventId,
        identity: this.start.identity,
        sdkMetadata: {
          coreUsedFlags: isFirstTask ? coreFlagsRecordedOnFirstTask : [],
          langUsedFlags: newLangFlags,
          sdkName: isFirstTask ? sdkName : '',
          sdkVersion: isFirstTask ? this.start.sdkVersion : '',
        },
        meteringMetadata: {},
      },
    });
    this.openTask = undefined;
    this.completedTaskCount++;
    for (const command of dropCancelledBeforeSent(task.commands)) {
      this.appendCommandEvent(timestampMs, completedEventId, command, continuedAsNewRunId);
    }
  }

  /** The synthesised history; throws if anything in the run could not be represented. */
  toHistory(): temporal.api.history.v1.History {
    if (this.unsupported.length > 0) {
      throw new Error(
        `Cannot synthesise a history for workflow ${this.start.workflowId} (run ${this.start.runId}): ` +
          `${[...new Set(this.unsupported)].join('; ')}`,
      );
    }
    if (this.openTask !== undefined) throw new Error('Cannot synthesise a history while a workflow task is open');
    return temporal.api.history.v1.History.fromObject({ events: this.events });
  }

  private requireOpenTask(): OpenWorkflowTask {
    if (this.openTask === undefined) throw new Error('HistoryBuilder: no workflow task is open');
    return this.openTask;
  }

  /** Something in the run has no faithful history representation here; toHistory() will say what. */
  markUnsupported(reason: string): void {
    this.unsupported.push(reason);
  }

  private append(timestampMs: number, eventType: temporal.api.enums.v1.EventType, attributes: HistoryEventDraft): number {
    const eventId = this.nextEventId;
    this.events.push({ eventId, eventTime: msToTs(timestampMs), eventType, taskId: eventId, ...attributes });
    return eventId;
  }

  private appendJobEvents(timestampMs: number, { job, activityAttempt }: RecordedJob): void {
    if (job.initializeWorkflow) return; // WorkflowExecutionStarted is written by the constructor.
    if (job.signalWorkflow) {
      this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        workflowExecutionSignaledEventAttributes: {
          signalName: job.signalWorkflow.signalName,
          input: { payloads: job.signalWorkflow.input ?? [] },
          identity: job.signalWorkflow.identity ?? this.start.identity,
          header: { fields: job.signalWorkflow.headers ?? {} },
        },
      });
      return;
    }
    if (job.fireTimer) {
      const seq = job.fireTimer.seq ?? 0;
      this.append(timestampMs, EventType.EVENT_TYPE_TIMER_FIRED, {
        timerFiredEventAttributes: { timerId: String(seq), startedEventId: this.timers.get(seq) ?? 0 },
      });
      return;
    }
    if (job.resolveActivity) {
      this.appendActivityResolution(timestampMs, job.resolveActivity, activityAttempt ?? 1);
      return;
    }
    if (job.resolveChildWorkflowExecutionStart) {
      const resolution = job.resolveChildWorkflowExecutionStart;
      const child = this.children.get(resolution.seq ?? 0);
      if (!child || !resolution.succeeded?.runId) {
        this.markUnsupported('a child workflow start that did not succeed');
        return;
      }
      child.runId = resolution.succeeded.runId;
      child.startedEventId = this.append(timestampMs, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
        childWorkflowExecutionStartedEventAttributes: {
          namespace: child.namespace,
          initiatedEventId: child.initiatedEventId,
          workflowExecution: { workflowId: child.workflowId, runId: child.runId },
          workflowType: { name: child.workflowType },
          header: {},
        },
      });
      return;
    }
    if (job.resolveChildWorkflowExecution) {
      this.appendChildResolution(timestampMs, job.resolveChildWorkflowExecution);
      return;
    }
    this.markUnsupported(`activation job ${Object.keys(job).join(',')}`);
  }

  private appendActivityResolution(
    timestampMs: number,
    resolution: coresdk.workflow_activation.IResolveActivity,
    attempt: number,
  ): void {
    const seq = resolution.seq ?? 0;
    const scheduled = this.activities.get(seq);
    const result = resolution.result;
    if (!scheduled || !result || (!result.completed && !result.failed)) {
      this.markUnsupported(`activity ${seq} resolved other than by completion or failure`);
      return;
    }
    const startedEventId = this.append(timestampMs, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
      activityTaskStartedEventAttributes: {
        scheduledEventId: scheduled.scheduledEventId,
        identity: this.start.identity,
        requestId: `${this.start.runId}/activity/${scheduled.activityId}`,
        attempt,
      },
    });
    if (result.completed) {
      this.append(timestampMs, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        activityTaskCompletedEventAttributes: {
          result: { payloads: result.completed.result ? [result.completed.result] : [] },
          scheduledEventId: scheduled.scheduledEventId,
          startedEventId,
          identity: this.start.identity,
        },
      });
      return;
    }
    // Core wraps the activity's own failure in an ActivityFailure; the event holds the inner one.
    const wrapped = result.failed?.failure;
    this.append(timestampMs, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
      activityTaskFailedEventAttributes: {
        failure: wrapped?.cause ?? wrapped,
        scheduledEventId: scheduled.scheduledEventId,
        startedEventId,
        identity: this.start.identity,
        retryState: wrapped?.activityFailureInfo?.retryState ?? RetryStateProto.RETRY_STATE_NON_RETRYABLE_FAILURE,
      },
    });
  }

  private appendChildResolution(
    timestampMs: number,
    resolution: coresdk.workflow_activation.IResolveChildWorkflowExecution,
  ): void {
    const child = this.children.get(resolution.seq ?? 0);
    const result = resolution.result;
    if (!child || child.runId === undefined || !result || (!result.completed && !result.failed)) {
      this.markUnsupported(`child workflow ${resolution.seq} resolved other than by completion or failure`);
      return;
    }
    const common = {
      namespace: child.namespace,
      workflowExecution: { workflowId: child.workflowId, runId: child.runId },
      workflowType: { name: child.workflowType },
      initiatedEventId: child.initiatedEventId,
      startedEventId: child.startedEventId ?? 0,
    };
    if (result.completed) {
      this.append(timestampMs, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
        childWorkflowExecutionCompletedEventAttributes: {
          ...common,
          result: { payloads: result.completed.result ? [result.completed.result] : [] },
        },
      });
      return;
    }
    const wrapped = result.failed?.failure;
    this.append(timestampMs, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
      childWorkflowExecutionFailedEventAttributes: {
        ...common,
        failure: wrapped?.cause ?? wrapped,
        retryState:
          wrapped?.childWorkflowExecutionFailureInfo?.retryState ?? RetryStateProto.RETRY_STATE_RETRY_POLICY_NOT_SET,
      },
    });
  }

  private appendCommandEvent(
    timestampMs: number,
    workflowTaskCompletedEventId: number,
    command: WorkflowCommand,
    continuedAsNewRunId: string | undefined,
  ): void {
    if (this.closed) {
      this.markUnsupported('a command after the execution closed');
      return;
    }
    if (command.scheduleActivity) {
      const attrs = command.scheduleActivity;
      const seq = attrs.seq ?? 0;
      const scheduledEventId = this.append(timestampMs, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
        activityTaskScheduledEventAttributes: {
          activityId: attrs.activityId,
          activityType: { name: attrs.activityType },
          taskQueue: { name: attrs.taskQueue || this.start.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          header: { fields: attrs.headers ?? {} },
          input: { payloads: attrs.arguments ?? [] },
          scheduleToCloseTimeout: attrs.scheduleToCloseTimeout,
          scheduleToStartTimeout: attrs.scheduleToStartTimeout,
          startToCloseTimeout: attrs.startToCloseTimeout,
          heartbeatTimeout: attrs.heartbeatTimeout,
          retryPolicy: attrs.retryPolicy,
          workflowTaskCompletedEventId,
        },
      });
      this.activities.set(seq, { scheduledEventId, activityId: attrs.activityId ?? '', activityType: attrs.activityType ?? '' });
      return;
    }
    if (command.startTimer) {
      const seq = command.startTimer.seq ?? 0;
      const startedEventId = this.append(timestampMs, EventType.EVENT_TYPE_TIMER_STARTED, {
        timerStartedEventAttributes: {
          timerId: String(seq),
          startToFireTimeout: command.startTimer.startToFireTimeout,
          workflowTaskCompletedEventId,
        },
      });
      this.timers.set(seq, startedEventId);
      return;
    }
    if (command.cancelTimer) {
      const seq = command.cancelTimer.seq ?? 0;
      this.append(timestampMs, EventType.EVENT_TYPE_TIMER_CANCELED, {
        timerCanceledEventAttributes: {
          timerId: String(seq),
          startedEventId: this.timers.get(seq) ?? 0,
          workflowTaskCompletedEventId,
          identity: this.start.identity,
        },
      });
      return;
    }
    if (command.startChildWorkflowExecution) {
      const attrs = command.startChildWorkflowExecution;
      const initiatedEventId = this.append(timestampMs, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
        startChildWorkflowExecutionInitiatedEventAttributes: {
          namespace: attrs.namespace,
          workflowId: attrs.workflowId,
          workflowType: { name: attrs.workflowType },
          taskQueue: { name: attrs.taskQueue || this.start.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: { payloads: attrs.input ?? [] },
          workflowExecutionTimeout: attrs.workflowExecutionTimeout,
          workflowRunTimeout: attrs.workflowRunTimeout,
          workflowTaskTimeout: attrs.workflowTaskTimeout ?? msToTs(this.start.workflowTaskTimeoutMs),
          parentClosePolicy: attrs.parentClosePolicy as number | undefined,
          workflowTaskCompletedEventId,
          workflowIdReusePolicy: attrs.workflowIdReusePolicy,
          retryPolicy: attrs.retryPolicy,
          cronSchedule: attrs.cronSchedule,
          header: { fields: attrs.headers ?? {} },
          memo: { fields: attrs.memo ?? {} },
          searchAttributes: attrs.searchAttributes,
        },
      });
      this.children.set(attrs.seq ?? 0, {
        initiatedEventId,
        workflowId: attrs.workflowId ?? '',
        workflowType: attrs.workflowType ?? '',
        namespace: attrs.namespace ?? this.start.namespace,
      });
      return;
    }
    if (command.completeWorkflowExecution) {
      this.closed = true;
      const result = command.completeWorkflowExecution.result;
      this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
        workflowExecutionCompletedEventAttributes: {
          result: { payloads: result ? [result] : [] },
          workflowTaskCompletedEventId,
        },
      });
      return;
    }
    if (command.failWorkflowExecution) {
      this.closed = true;
      this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
        workflowExecutionFailedEventAttributes: {
          failure: command.failWorkflowExecution.failure,
          retryState: RetryStateProto.RETRY_STATE_RETRY_POLICY_NOT_SET,
          workflowTaskCompletedEventId,
        },
      });
      return;
    }
    if (command.continueAsNewWorkflowExecution) {
      this.closed = true;
      const attrs = command.continueAsNewWorkflowExecution;
      this.append(timestampMs, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
        workflowExecutionContinuedAsNewEventAttributes: {
          newExecutionRunId: continuedAsNewRunId ?? '',
          workflowType: { name: attrs.workflowType || this.start.workflowType },
          taskQueue: { name: attrs.taskQueue || this.start.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: { payloads: attrs.arguments ?? [] },
          workflowRunTimeout: attrs.workflowRunTimeout,
          workflowTaskTimeout: attrs.workflowTaskTimeout ?? msToTs(this.start.workflowTaskTimeoutMs),
          workflowTaskCompletedEventId,
          initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
          header: { fields: attrs.headers ?? {} },
          memo: { fields: attrs.memo ?? {} },
          searchAttributes: { indexedFields: attrs.searchAttributes ?? {} },
        },
      });
      return;
    }
    if (command.setPatchMarker) {
      // As Core records patched()/deprecatePatch() (sdk-core patch_state_machine.rs): a `core_patch`
      // marker whose `patch-data` detail is the JSON {id, deprecated}, then — core flag 2,
      // UpsertSearchAttributeOnPatch, recorded on the first task — an upsert of the
      // `TemporalChangeVersion` search attribute to every patch id of the run so far, sorted.
      const patchId = command.setPatchMarker.patchId ?? '';
      const patchData = { id: patchId, deprecated: command.setPatchMarker.deprecated ?? false };
      this.append(timestampMs, EventType.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: {
          markerName: 'core_patch',
          details: { 'patch-data': { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(patchData)) }] } },
          workflowTaskCompletedEventId,
        },
      });
      if (coreFlagsRecordedOnFirstTask.includes(UPSERT_SEARCH_ATTRIBUTE_ON_PATCH_FLAG)) {
        this.patchIds.add(patchId);
        const changeVersions = [...this.patchIds].sort();
        this.append(timestampMs, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          upsertWorkflowSearchAttributesEventAttributes: {
            searchAttributes: {
              indexedFields: {
                TemporalChangeVersion: { metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('KeywordList') }, data: Buffer.from(JSON.stringify(changeVersions)) },
              },
            },
            workflowTaskCompletedEventId,
          },
        });
      }
      return;
    }
    if (command.respondToQuery) return; // Queries are not part of history.
    this.markUnsupported(`command ${Object.keys(command).filter((key) => key !== 'userMetadata').join(',')}`);
  }
}

/**
 * Core drops a timer whose CancelTimer comes in the same workflow task as its StartTimer
 * (`was_cancelled_before_sent_to_server`): neither reaches the server.
 */
function dropCancelledBeforeSent(commands: WorkflowCommand[]): WorkflowCommand[] {
  const startedHere = new Set(commands.flatMap((command) => (command.startTimer ? [command.startTimer.seq ?? 0] : [])));
  const cancelledHere = new Set(
    commands.flatMap((command) =>
      command.cancelTimer && startedHere.has(command.cancelTimer.seq ?? 0) ? [command.cancelTimer.seq ?? 0] : [],
    ),
  );
  return commands.filter(
    (command) =>
      !(command.startTimer && cancelledHere.has(command.startTimer.seq ?? 0)) &&
      !(command.cancelTimer && cancelledHere.has(command.cancelTimer.seq ?? 0)),
  );
}

/*
 * Fixture JSON is proto3 JSON as `temporal workflow show --output json` writes it and as
 * `historyFromJSON` (@temporalio/common/lib/proto-utils) reads it. In this repository's install,
 * @temporalio/common and @temporalio/proto each load their own copy of protobufjs, so the SDK's
 * historyFromJSON/historyToJSON throw "type must be a Type" (an `instanceof` across the copies).
 * Until the lockfile dedupes protobufjs, fall back to the same protojson functions taken from the
 * protobufjs copy @temporalio/proto itself uses. The canary test tracks which case applies.
 */
interface ProtoJsonCodec {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
  toJson(type: unknown, message: unknown): unknown;
}

const protojsonTypeMismatch = 'type must be a Type';

/** True when @temporalio/common and @temporalio/proto resolve the same protobufjs module. */
export function sdkProtobufjsIsDeduplicated(): boolean {
  const resolveFrom = (pkg: string): string =>
    require.resolve('protobufjs', { paths: [path.dirname(require.resolve(`${pkg}/package.json`))] });
  return resolveFrom('@temporalio/common') === resolveFrom('@temporalio/proto');
}

function temporalProtoJson(): { codec: ProtoJsonCodec; historyType: unknown } {
  const protoPackageDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  const codec = require(require.resolve('protobufjs/ext/protojson', { paths: [protoPackageDir] })) as ProtoJsonCodec;
  const patchedRoot = patchProtobufRoot(protoRoot) as unknown as { lookupType(name: string): unknown };
  return { codec, historyType: patchedRoot.lookupType('temporal.api.history.v1.History') };
}

function isProtojsonTypeMismatch(error: unknown): boolean {
  return error instanceof TypeError && error.message === protojsonTypeMismatch;
}

/** Parse history JSON exactly as historyFromJSON does for canonical proto3 JSON. */
export function parseHistoryJson(json: unknown): temporal.api.history.v1.History {
  try {
    return temporal.api.history.v1.History.fromObject(historyFromJSON(json));
  } catch (error) {
    if (!isProtojsonTypeMismatch(error)) throw error;
    const { codec, historyType } = temporalProtoJson();
    const parsed = codec.fromJson(historyType, json, { ignoreUnknownFields: true });
    return temporal.api.history.v1.History.fromObject(parsed as temporal.api.history.v1.IHistory);
  }
}

/** JSON in the format of `temporal workflow show --output json` and `historyFromJSON`. */
export function historyToFixtureJson(history: temporal.api.history.v1.IHistory): string {
  try {
    return `${historyToJSON(history)}\n`;
  } catch (error) {
    if (!isProtojsonTypeMismatch(error)) throw error;
    const { codec, historyType } = temporalProtoJson();
    const message = temporal.api.history.v1.History.fromObject(history);
    return `${JSON.stringify(codec.toJson(historyType, message), null, 2)}\n`;
  }
}

export interface HistoryFixture {
  history: temporal.api.history.v1.History;
  /** Histories do not name their workflow; the harness writes it into the start event. */
  workflowId: string;
  workflowType: string;
}

export function readHistoryFixture(fixturePath: string): HistoryFixture {
  const history = parseHistoryJson(JSON.parse(fs.readFileSync(fixturePath, 'utf8')));
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started?.workflowType?.name) {
    throw new Error(`${fixturePath}: the first event is not a WorkflowExecutionStarted with a workflow type`);
  }
  return { history, workflowId: started.workflowId || 'fake', workflowType: started.workflowType.name };
}

export function writeHistoryFixture(fixturePath: string, history: temporal.api.history.v1.IHistory): void {
  fs.writeFileSync(fixturePath, historyToFixtureJson(history));
}
