/**
 * Offline workflow harness: runs REAL workflow code in the Temporal SDK's own workflow sandbox
 * (the `vm` the Worker uses) and plays the part of Temporal Core and the server around it —
 * activations in, commands out — on a virtual clock. No Temporal server is needed.
 *
 * What it models (one activation = one workflow task):
 * - start: InitializeWorkflow with args, workflow type, Core's randomness seed, start time;
 * - activities: ScheduleActivity runs the named function from `activities` inside
 *   MockActivityEnvironment (Context.current() works: attempt, activityId, workflowId…), with
 *   the command's retry policy (maximumAttempts, backoff on the virtual clock,
 *   nonRetryableErrorTypes, ApplicationFailure.nonRetryable, scheduleToClose) and resolution
 *   as Core would deliver it (payload, or ActivityFailure wrapping the converted failure);
 * - timers: StartTimer / CancelTimer on the virtual clock; Date.now() in the workflow is the
 *   virtual time of the activation;
 * - signals, queries, child workflows (own sandbox, same clock), continue-as-new, completion
 *   and failure surfaced by `result()` like the client's `handle.result()`;
 * - a record of every activation and its commands, and a synthesised server history per run
 *   (see ./wf-history.ts) for replay tests.
 *
 * This file is the API and the bundling; one run's machinery is ./wf-run.ts, the clock
 * ./wf-clock.ts, history synthesis ./wf-history.ts, Core-compatible ids and seeds ./wf-ids.ts.
 * It depends on SDK internals (VMWorkflowCreator, parseWorkflowCode, activation shapes);
 * test/workflows/harness/sdk-internals-canary.test.ts fails loudly when those move.
 */
import path from 'node:path';
import { WorkflowContinuedAsNewError, WorkflowFailedError } from '@temporalio/client';
import {
  defaultFailureConverter,
  defaultPayloadConverter,
  toPayloads,
  type QueryDefinition,
  type SignalDefinition,
  type Workflow,
  type WorkflowResultType,
} from '@temporalio/common';
import type { coresdk, temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, type Logger } from '@temporalio/worker';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import { VMWorkflowCreator } from '@temporalio/worker/lib/workflow/vm';
import { VirtualScheduler } from './wf-clock';
import {
  WorkflowHarnessError,
  WorkflowRun,
  WorkflowTaskFailedError,
  type ActivityImplementations,
  type Environment,
  type HarnessActivationRecord,
  type WorkflowLogEntry,
  type WorkflowOutcome,
} from './wf-run';

export {
  WorkflowHarnessError,
  WorkflowTaskFailedError,
  type ActivityImplementations,
  type HarnessActivationRecord,
  type WorkflowLogEntry,
  type WorkflowOutcome,
} from './wf-run';

type WorkflowCommand = coresdk.workflow_commands.IWorkflowCommand;

export interface WorkflowHarnessOptions {
  /** File (or folder with index.ts) whose exported functions are the workflows. */
  workflowsPath: string;
  /** Activity implementations by activity type, e.g. `createActivities(fakeDeps)`. */
  activities?: ActivityImplementations;
  /** Virtual time at which the workflow starts. Default 2024-01-01T00:00:00Z. */
  startTime?: Date | number;
  taskQueue?: string;
  namespace?: string;
  workflowTaskTimeoutMs?: number;
  /** Attempts after which an activity with unlimited retries is a harness error. Default 25. */
  activityAttemptsMax?: number;
  /** Scheduler steps (activations, activity attempts…) after which the harness gives up. Default 10 000. */
  stepsMax?: number;
  /** Logger for activity executions; default logs errors only (expected failures stay quiet). */
  activityLogger?: Logger;
}

export interface StartWorkflowOptions<W extends Workflow> extends WorkflowHarnessOptions {
  args?: Parameters<W>;
  /** Default `harness-<workflowType>`. */
  workflowId?: string;
  /** Like the client's `followRuns`: `result()` follows continue-as-new. Default true. */
  followContinueAsNew?: boolean;
}

export interface HarnessRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  parentWorkflowId: string | undefined;
  outcome: WorkflowOutcome;
  /** The history a server would have recorded for this run (throws if it is not representable). */
  history(): temporal.api.history.v1.History;
}

const defaultStartTimeMs = Date.UTC(2024, 0, 1);
const isolateExecutionTimeoutMs = 10_000;

// ---------------------------------------------------------------------------------------------
// Bundling: once per workflowsPath per process.

interface CachedBundle {
  code: string;
  creator: VMWorkflowCreator;
}

const bundleCache = new Map<string, Promise<CachedBundle>>();
const quietLogger = new DefaultLogger('WARN');

async function loadBundle(workflowsPath: string): Promise<CachedBundle> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const parsed = parseWorkflowCode(code, path.join(path.dirname(workflowsPath), '__harness_bundle__.js'));
  const creator = await VMWorkflowCreator.create(parsed, isolateExecutionTimeoutMs, new Set());
  return { code, creator };
}

function cachedBundle(workflowsPath: string): Promise<CachedBundle> {
  const key = path.resolve(workflowsPath);
  let bundle = bundleCache.get(key);
  if (bundle === undefined) {
    bundle = loadBundle(key);
    bundleCache.set(key, bundle);
    bundle.catch(() => bundleCache.delete(key));
  }
  return bundle;
}

/** The bundled workflow code (cached), e.g. for `Worker.runReplayHistory({ workflowBundle })`. */
export async function getWorkflowBundle(workflowsPath: string): Promise<{ code: string }> {
  return { code: (await cachedBundle(workflowsPath)).code };
}

// ---------------------------------------------------------------------------------------------
// Public API

export class WorkflowHarness<Result = unknown> {
  /** @internal use startWorkflow() */
  constructor(
    private readonly env: Environment,
    private readonly firstRun: WorkflowRun,
    private readonly stepsMax: number,
    private readonly followContinueAsNew: boolean,
  ) {}

  private stepsTaken = 0;

  get workflowId(): string {
    return this.firstRun.workflowId;
  }

  /** The run `result()` is about: the latest of the continue-as-new chain when following it. */
  get runId(): string {
    return this.currentRun().runId;
  }

  /** Virtual time, in epoch milliseconds. */
  get nowMs(): number {
    return this.env.scheduler.nowMs;
  }

  get outcome(): WorkflowOutcome {
    return this.currentRun().outcome;
  }

  /** Every activation so far, of every run (root, children, continued runs), in order. */
  get activations(): readonly HarnessActivationRecord[] {
    return this.env.activations;
  }

  /** `log.info(...)` and friends from workflow code, all runs, in order (SDK lifecycle debug lines included). */
  get workflowLogs(): readonly WorkflowLogEntry[] {
    return this.env.workflowLogs;
  }

  /** Every command of every activation of the given workflow (default: this one), in order. */
  commands(workflowId: string = this.workflowId): WorkflowCommand[] {
    return this.env.activations
      .filter((record) => record.workflowId === workflowId)
      .flatMap((record) => record.completion.successful?.commands ?? []);
  }

  /** All runs started so far, root first. */
  get runs(): HarnessRun[] {
    return this.env.runs.map((run) => ({
      workflowId: run.workflowId,
      runId: run.runId,
      workflowType: run.workflowType,
      parentWorkflowId: run.parent?.run.workflowId,
      outcome: run.outcome,
      history: () => run.builder.toHistory(),
    }));
  }

  /** The synthesised server history of the current run. */
  history(): temporal.api.history.v1.History {
    return this.currentRun().builder.toHistory();
  }

  async signal<Args extends unknown[]>(signal: SignalDefinition<Args> | string, ...args: Args): Promise<void> {
    this.throwIfFatal();
    await this.currentRun().signal(typeof signal === 'string' ? signal : signal.name, args);
    await this.runUntilIdle();
  }

  async query<Ret, Args extends unknown[]>(query: QueryDefinition<Ret, Args> | string, ...args: Args): Promise<Ret> {
    this.throwIfFatal();
    return (await this.currentRun().query(typeof query === 'string' ? query : query.name, args)) as Ret;
  }

  /** Process everything due at the current virtual time (activities, children, due timers). */
  async runUntilIdle(): Promise<void> {
    await this.advanceTime(0);
  }

  /** Move the virtual clock forward, firing timers and retrying activities in time order. */
  async advanceTime(durationMs: number): Promise<void> {
    if (durationMs < 0) throw new WorkflowHarnessError(`advanceTime needs a non-negative duration, got ${durationMs} ms`);
    const scheduler = this.env.scheduler;
    const targetMs = scheduler.nowMs + durationMs;
    for (;;) {
      this.throwIfFatal();
      const step = scheduler.takeDue(targetMs);
      if (step === undefined) break;
      if (++this.stepsTaken > this.stepsMax) {
        throw new WorkflowHarnessError(`More than ${this.stepsMax} harness steps; last: ${step.label}. Raise stepsMax if intended.`);
      }
      scheduler.nowMs = Math.max(scheduler.nowMs, step.dueMs);
      await step.run();
    }
    scheduler.nowMs = targetMs;
    this.throwIfFatal();
  }

  /**
   * Run the workflow to its end, skipping virtual time to the next timer or retry whenever it is
   * waiting (like the time-skipping test server). Resolves with the result or throws like the
   * client's `handle.result()`: WorkflowFailedError, WorkflowContinuedAsNewError (when not
   * following), plus WorkflowTaskFailedError / WorkflowHarnessError for harness-level problems.
   */
  async result(): Promise<Result> {
    for (;;) {
      await this.runUntilIdle();
      const run = this.currentRun();
      const outcome = run.outcome;
      switch (outcome.status) {
        case 'completed':
          return (outcome.result ? defaultPayloadConverter.fromPayload(outcome.result) : undefined) as Result;
        case 'failed':
          throw new WorkflowFailedError(
            'Workflow execution failed',
            defaultFailureConverter.failureToError(outcome.failure, defaultPayloadConverter),
            'RETRY_POLICY_NOT_SET', // the harness starts workflows without a retry policy
          );
        case 'continuedAsNew':
          if (!this.followContinueAsNew) {
            throw new WorkflowContinuedAsNewError('Workflow execution continued as new', outcome.newRunId);
          }
          break;
        case 'workflowTaskFailed':
          throw new WorkflowTaskFailedError(run.workflowId, run.runId, outcome.failure);
        case 'running':
          break;
      }
      const nextDueMs = this.env.scheduler.nextDueMs();
      if (nextDueMs === undefined) {
        throw new WorkflowHarnessError(
          `Workflow ${run.workflowId} is waiting with no timer or activity pending at ` +
            `${new Date(this.nowMs).toISOString()}: it needs a signal (or other outside input) to go on.`,
        );
      }
      await this.advanceTime(nextDueMs - this.nowMs);
    }
  }

  /** Release the sandboxes of all runs. Queries work until then, also on closed workflows. */
  async dispose(): Promise<void> {
    for (const run of this.env.runs) await run.dispose();
  }

  private currentRun(): WorkflowRun {
    let run = this.firstRun;
    while (this.followContinueAsNew && run.next !== undefined) run = run.next;
    return run;
  }

  private throwIfFatal(): void {
    if (this.env.fatalError !== undefined) throw this.env.fatalError;
  }
}

/** Bundle (cached), start the workflow in the SDK sandbox and process it until it waits. */
export async function startWorkflow<W extends Workflow>(
  workflow: W | string,
  options: StartWorkflowOptions<W>,
): Promise<WorkflowHarness<WorkflowResultType<W>>> {
  const workflowType = typeof workflow === 'string' ? workflow : workflow.name;
  const { creator } = await cachedBundle(options.workflowsPath);
  const startTimeMs =
    options.startTime === undefined
      ? defaultStartTimeMs
      : typeof options.startTime === 'number'
        ? options.startTime
        : options.startTime.getTime();
  const env: Environment = {
    scheduler: new VirtualScheduler(startTimeMs),
    creator,
    activities: options.activities ?? {},
    activityLogger: options.activityLogger ?? new DefaultLogger('ERROR'),
    taskQueue: options.taskQueue ?? 'workflow-harness',
    namespace: options.namespace ?? 'default',
    workflowTaskTimeoutMs: options.workflowTaskTimeoutMs ?? 10_000,
    activityAttemptsMax: options.activityAttemptsMax ?? 25,
    runs: [],
    activations: [],
    workflowLogs: [],
    fatalError: undefined,
  };
  const run = new WorkflowRun(env, {
    workflowId: options.workflowId ?? `harness-${workflowType}`,
    workflowType,
    runNumber: 1,
    input: toPayloads(defaultPayloadConverter, ...(options.args ?? [])) ?? [],
  });
  const harness = new WorkflowHarness<WorkflowResultType<W>>(
    env,
    run,
    options.stepsMax ?? 10_000,
    options.followContinueAsNew ?? true,
  );
  try {
    await run.begin();
    await harness.runUntilIdle();
  } catch (error) {
    // A failed workflow task or harness problem stays recorded and is thrown by result(), signal()…
    if (env.fatalError === undefined) throw error;
  }
  return harness;
}
