/**
 * A TemporalAccess whose workflows run in the offline workflow harness with the REAL activities
 * against the test database, so that API tests go HTTP → database → workflow → activities →
 * database, with no Temporal server.
 *
 * - Activities get their own Prisma client (pool), as a worker process has: an activity never
 *   waits for a connection held by the request that started its workflow.
 * - Each workflow has its own virtual clock, starting at the real time of its start. Time only
 *   moves when a test says so: `handle(workflowId).advanceTime(ms)` or `.result()`.
 * - Operations on one workflow are serialised (the harness is not re-entrant); `settled()` waits
 *   for everything the API asked of it so far, e.g. the signal an approval sends after commit;
 *   `HarnessTemporal.settled()` does so for every workflow.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type QueryDefinition, type SignalDefinition } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import { createActivities, type Activities } from '../../workflows/activities';
import type { TemporalAccess, TemporalStatus, WorkflowGateway } from '../../workflows/connection';
import { WORKFLOWS_PATH } from '../../workflows/worker';
import { createPrismaClient, type PrismaClient } from '../../prisma/client';
import { startWorkflow, type ActivityImplementations, type WorkflowHarness } from './workflow-harness';

export interface HarnessTemporalOptions {
  databaseUrl: string;
  /** Default: the worker's bundle entry (workflows/index). */
  workflowsPath?: string;
  logger?: Logger;
  /** E.g. to make an activity crash after its real work on the first attempt. */
  wrapActivities?: (activities: Activities) => ActivityImplementations;
}

export interface HarnessWorkflowHandle {
  harness: WorkflowHarness;
  /** Waits for every operation the API started on this workflow. */
  settled(): Promise<void>;
  advanceTime(ms: number): Promise<void>;
  /** Runs the workflow to its end, skipping virtual time as needed. */
  result<T = unknown>(): Promise<T>;
  query<T = unknown, Args extends unknown[] = unknown[]>(query: QueryDefinition<T, Args> | string, ...args: Args): Promise<T>;
  /** Sends a signal as a client would (through the gateway: serialised, recorded in `signalled`). */
  signal<Args extends unknown[] = unknown[]>(signal: SignalDefinition<Args> | string, ...args: Args): Promise<void>;
}

/** A signal delivered to a running workflow. */
export interface HarnessSignal {
  workflowId: string;
  signalName: string;
  args: unknown[];
}

export class HarnessTemporal implements TemporalAccess {
  readonly taskQueue = 'godown-harness';
  /** The activities' own database client. */
  readonly prisma: PrismaClient;
  private readonly activities: ActivityImplementations;
  private readonly workflowsPath: string;
  private readonly harnesses = new Map<string, WorkflowHarness>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly gateway: WorkflowGateway;
  /** Operations asked of any workflow so far (for `settled()` to see new ones). */
  private operationCount = 0;
  /** Signals delivered so far, in order (a signal refused because its workflow is not running is not recorded). */
  readonly signalled: HarnessSignal[] = [];

  constructor(options: HarnessTemporalOptions) {
    this.prisma = createPrismaClient(options.databaseUrl, { poolMax: 5 });
    const real = createActivities({ prisma: this.prisma, logger: options.logger ?? pino({ level: 'silent' }) });
    this.activities = options.wrapActivities ? options.wrapActivities(real) : real;
    this.workflowsPath = options.workflowsPath ?? require.resolve(WORKFLOWS_PATH);
    this.gateway = {
      start: (workflowType, { workflowId, args }) =>
        this.serialised(workflowId, async () => {
          // As the server does with the default reuse policy: a running id refuses, a closed one may start again.
          if (this.isRunning(workflowId)) throw new WorkflowExecutionAlreadyStartedError(`workflow ${workflowId} is already running`, workflowId, workflowType);
          await this.harnesses.get(workflowId)?.dispose();
          const harness = await startWorkflow(workflowType, {
            workflowsPath: this.workflowsPath,
            activities: this.activities,
            args: args as never,
            workflowId,
            taskQueue: this.taskQueue,
            startTime: Date.now(),
          });
          this.harnesses.set(workflowId, harness);
        }),
      signal: (workflowId, signalName, ...args) =>
        this.serialised(workflowId, async () => {
          // The server answers "not found" for an unknown id and for a closed workflow alike.
          if (!this.isRunning(workflowId)) throw new WorkflowNotFoundError(`workflow ${workflowId} is not running`, workflowId, undefined);
          await this.harnessOf(workflowId).signal(signalName, ...args);
          this.signalled.push({ workflowId, signalName, args });
        }),
      query: <T>(workflowId: string, queryName: string, ...args: unknown[]) =>
        this.serialised(workflowId, () => this.harnessOf(workflowId).query<T, unknown[]>(queryName, ...args)),
    };
  }

  status(): TemporalStatus {
    return { available: true, address: 'offline-harness', namespace: 'default', reason: null };
  }

  workflows(): WorkflowGateway {
    return this.gateway;
  }

  async probe(): Promise<TemporalStatus> {
    return this.status();
  }

  /** Workflow ids started so far, in order. */
  get workflowIds(): string[] {
    return [...this.harnesses.keys()];
  }

  handle(workflowId: string): HarnessWorkflowHandle {
    const harnessOf = () => this.harnessOf(workflowId);
    return {
      // Looked up when used: the workflow may still be starting (an after-commit step of a request).
      get harness() {
        return harnessOf();
      },
      settled: async () => {
        await this.queues.get(workflowId);
      },
      advanceTime: (ms) => this.serialised(workflowId, () => this.harnessOf(workflowId).advanceTime(ms)),
      result: <T>() => this.serialised(workflowId, () => this.harnessOf(workflowId).result() as Promise<T>),
      query: <T, Args extends unknown[]>(query: QueryDefinition<T, Args> | string, ...args: Args) =>
        this.gateway.query<T>(workflowId, typeof query === 'string' ? query : query.name, ...args),
      signal: <Args extends unknown[]>(signal: SignalDefinition<Args> | string, ...args: Args) =>
        this.gateway.signal(workflowId, typeof signal === 'string' ? signal : signal.name, ...args),
    };
  }

  /**
   * Waits for everything asked of any workflow so far, and for what is asked in turn as those
   * operations finish (an after-commit step that revalues the line, then signals the sale), until
   * nothing new comes. Work that starts after other I/O (not a workflow operation) is not seen.
   */
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
    for (const harness of this.harnesses.values()) await harness.dispose();
    await this.prisma.$disconnect();
  }

  private isRunning(workflowId: string): boolean {
    return this.harnesses.get(workflowId)?.outcome.status === 'running';
  }

  private harnessOf(workflowId: string): WorkflowHarness {
    const harness = this.harnesses.get(workflowId);
    if (!harness) throw new Error(`no workflow ${workflowId} was started in this harness (started: ${this.workflowIds.join(', ') || 'none'})`);
    return harness;
  }

  private serialised<T>(workflowId: string, operation: () => Promise<T>): Promise<T> {
    this.operationCount++;
    const previous = this.queues.get(workflowId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.queues.set(workflowId, next.catch(() => undefined));
    return next;
  }
}
