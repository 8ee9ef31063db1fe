/**
 * The outbox as a request (or any transaction) sees it: it writes the workflow
 * starts and signals its change needs in the change's own transaction and
 * remembers their ids, so that whoever commits the transaction can dispatch
 * exactly those at once (dispatcher.ts). Rows that are not dispatched then —
 * Temporal down, the process gone — are found by the poller.
 */
import type { Db } from '../../prisma/client';
import { enqueueWorkflowCommands, type WorkflowCommand } from '../../prisma/outbox/store';
import { lineMarginWorkflowId, type RevaluationReason } from '../../prisma/margin/store';

export interface WorkflowOutbox {
  /** Start `workflowType` once per `workflowId` ever (a sale's, a draw's workflow). */
  start(workflowType: string, options: { workflowId: string; args: unknown[] }): Promise<void>;
  /** Wake a running workflow; a workflow that has already finished needs no signal. */
  signal(workflowId: string, signalName: string, ...args: unknown[]): Promise<void>;
  /** Revalue each line through its margin workflow (signalled, or started when not running). */
  revalueLines(lineIds: readonly string[], reason: RevaluationReason): Promise<void>;
}

export class TransactionOutbox implements WorkflowOutbox {
  private readonly ids: bigint[] = [];

  constructor(
    private readonly db: Db,
    private readonly context: { requestId: string | null; taskQueue: string; now: Date },
  ) {}

  /** The rows written so far, for the dispatch after commit. */
  get written(): readonly bigint[] {
    return this.ids;
  }

  start(workflowType: string, options: { workflowId: string; args: unknown[] }): Promise<void> {
    return this.enqueue([{ kind: 'START', workflowType, workflowId: options.workflowId, args: options.args, taskQueue: this.context.taskQueue }]);
  }

  signal(workflowId: string, signalName: string, ...args: unknown[]): Promise<void> {
    return this.enqueue([{ kind: 'SIGNAL', workflowId, signalName, args }]);
  }

  revalueLines(lineIds: readonly string[], reason: RevaluationReason): Promise<void> {
    return this.enqueue([...new Set(lineIds)].map((lineId) => ({ kind: 'REVALUE_LINE', workflowId: lineMarginWorkflowId(lineId), args: [{ lineId, reason }] })));
  }

  private async enqueue(commands: WorkflowCommand[]): Promise<void> {
    this.ids.push(...(await enqueueWorkflowCommands(this.db, commands, { requestId: this.context.requestId, now: this.context.now })));
  }
}
