/**
 * The simulation's Temporal: like test/support/harness-temporal.ts (REAL workflow code in the
 * offline harness, REAL activities against the world's database), but every workflow lives on the
 * world's one virtual clock: it starts at the clock's time and `catchUp()` advances every running
 * workflow to it. It also plays the Temporal Schedules (daily accrual, daily margin check,
 * stock-count monitor) and can be told to refuse the next workflow start, as a Temporal outage
 * between a commit and its start would.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import pino from 'pino';
import { createActivities } from '../../workflows/activities';
import type { MarginActivityDeps } from '../../workflows/margin/activities';
import type { TemporalAccess, TemporalStatus, WorkflowGateway } from '../../workflows/connection';
import { WORKFLOWS_PATH } from '../../workflows/worker';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { startWorkflow, type WorkflowHarness } from '../support/workflow-harness';
import type { VirtualClock } from './clock';

/** What a refused start throws: a transport failure, as the SDK client raises when Temporal is unreachable. */
export class SimulatedStartFailure extends Error {
  constructor(workflowId: string) {
    super(`simulated: Temporal did not accept the start of ${workflowId} (14 UNAVAILABLE: connection refused)`);
    this.name = 'SimulatedStartFailure';
  }
}

export interface WorkflowProblem {
  workflowId: string;
  workflowType: string;
  status: string;
  detail: string;
}

export class SimTemporal implements TemporalAccess {
  readonly taskQueue = 'godown-sim';
  readonly prisma: PrismaClient;
  private readonly activities: ReturnType<typeof createActivities>;
  private readonly workflowsPath = require.resolve(WORKFLOWS_PATH);
  private readonly harnesses = new Map<string, { type: string; harness: WorkflowHarness }>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly gateway: WorkflowGateway;
  private operationCount = 0;
  /** Starts still to refuse (set by the "Temporal refuses the next start" command). */
  failStarts = 0;
  /** Workflow ids whose start was refused by an injected failure. */
  readonly refusedStarts: string[] = [];
  /** Harness-level problems (an activity over its attempts, a workflow task that failed…). */
  readonly harnessErrors: string[] = [];

  constructor(
    databaseUrl: string,
    private readonly clock: VirtualClock,
  ) {
    this.prisma = createPrismaClient(databaseUrl, { poolMax: 5 });
    const deps: MarginActivityDeps = { prisma: this.prisma, logger: pino({ level: 'silent' }), now: () => clock.now(), workflows: () => this.gateway };
    this.activities = createActivities(deps);
    this.gateway = {
      start: async (workflowType, { workflowId, args }) => {
        if (this.failStarts > 0) {
          this.failStarts--;
          this.refusedStarts.push(workflowId);
          throw new SimulatedStartFailure(workflowId);
        }
        return this.serialised(workflowId, async () => {
          if (this.isRunning(workflowId)) throw new WorkflowExecutionAlreadyStartedError(`workflow ${workflowId} is already running`, workflowId, workflowType);
          await this.harnesses.get(workflowId)?.harness.dispose();
          const harness = await startWorkflow(workflowType, {
            workflowsPath: this.workflowsPath,
            activities: this.activities,
            args: args as never,
            workflowId,
            taskQueue: this.taskQueue,
            startTime: this.clock.nowMs(),
          });
          this.harnesses.set(workflowId, { type: workflowType, harness });
        });
      },
      signal: (workflowId, signalName, ...args) =>
        this.serialised(workflowId, async () => {
          if (!this.isRunning(workflowId)) throw new WorkflowNotFoundError(`workflow ${workflowId} is not running`, workflowId, undefined);
          await this.harnesses.get(workflowId)!.harness.signal(signalName, ...args);
        }),
      query: <T>(workflowId: string, queryName: string, ...args: unknown[]) =>
        this.serialised(workflowId, () => {
          const entry = this.harnesses.get(workflowId);
          if (!entry) throw new WorkflowNotFoundError(`workflow ${workflowId} not found`, workflowId, undefined);
          return entry.harness.query<T, unknown[]>(queryName, ...args);
        }),
    };
  }

  status(): TemporalStatus {
    return { available: true, address: 'simulation', namespace: 'default', reason: null };
  }

  workflows(): WorkflowGateway {
    return this.gateway;
  }

  async probe(): Promise<TemporalStatus> {
    return this.status();
  }

  /** Has a workflow with this id been started (whatever became of it)? */
  started(workflowId: string): boolean {
    return this.harnesses.has(workflowId);
  }

  /** Workflows that ended in failure or whose task failed: a workflow that cannot go on is a bug. */
  problems(): WorkflowProblem[] {
    const found: WorkflowProblem[] = [];
    for (const [workflowId, { type, harness }] of this.harnesses) {
      const outcome = harness.outcome;
      if (outcome.status === 'failed' || outcome.status === 'workflowTaskFailed') {
        const failure = (outcome as { failure?: { message?: string | null } }).failure;
        found.push({ workflowId, workflowType: type, status: outcome.status, detail: failure?.message ?? '' });
      }
    }
    return found;
  }

  /** Advances every running workflow to the clock's time (each on its own queue), then waits for what that set off. */
  async catchUp(): Promise<void> {
    const target = this.clock.nowMs();
    const work: Promise<unknown>[] = [];
    for (const [workflowId, { harness }] of this.harnesses) {
      if (harness.outcome.status !== 'running' || harness.nowMs >= target) continue;
      work.push(
        this.serialised(workflowId, () => harness.advanceTime(Math.max(0, this.clock.nowMs() - harness.nowMs))).catch((error: unknown) => {
          this.harnessErrors.push(`${workflowId}: ${(error as Error).message}`);
        }),
      );
    }
    await Promise.all(work);
    await this.settled();
  }

  /**
   * Runs a scheduled workflow (what a Temporal Schedule starts) to its end at the clock's time, with
   * an id suffixed by its scheduled time as the schedule does. Answers its failure, if any.
   */
  async runScheduled(workflowType: string, scheduleId: string, args: unknown[]): Promise<string | null> {
    const workflowId = `${scheduleId}-${new Date(this.clock.nowMs()).toISOString()}`;
    try {
      await this.serialised(workflowId, async () => {
        const harness = await startWorkflow(workflowType, {
          workflowsPath: this.workflowsPath,
          activities: this.activities,
          args: args as never,
          workflowId,
          taskQueue: this.taskQueue,
          startTime: this.clock.nowMs(),
        });
        this.harnesses.set(workflowId, { type: workflowType, harness });
        await harness.result();
      });
      await this.settled();
      return null;
    } catch (error) {
      await this.settled();
      return `${workflowId}: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (cause: ${(error as { cause?: Error }).cause!.message})` : ''}`;
    }
  }

  /** Waits until no workflow operation asked so far (or set off by one) is still going. */
  async settled(): Promise<void> {
    for (;;) {
      const seen = this.operationCount;
      await Promise.all(this.queues.values());
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.operationCount === seen) return;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
    for (const { harness } of this.harnesses.values()) await harness.dispose();
    await this.prisma.$disconnect();
  }

  private isRunning(workflowId: string): boolean {
    return this.harnesses.get(workflowId)?.harness.outcome.status === 'running';
  }

  private serialised<T>(workflowId: string, operation: () => Promise<T>): Promise<T> {
    this.operationCount++;
    const previous = this.queues.get(workflowId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.queues.set(workflowId, next.catch(() => undefined));
    return next;
  }
}
