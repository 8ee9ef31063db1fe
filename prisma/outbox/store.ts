/**
 * The workflow outbox: what a committed change needs Temporal to do, stored in
 * the change's own transaction (see the WorkflowOutbox model in schema.prisma).
 * This file only stores and claims rows; workflows/outbox/dispatcher.ts
 * performs them.
 */
import { Prisma, type Db } from '../client';

export type WorkflowCommandKind = 'START' | 'SIGNAL' | 'REVALUE_LINE';

/** One workflow operation a committed change needs. */
export type WorkflowCommand =
  | { kind: 'START'; workflowType: string; workflowId: string; args: unknown[]; taskQueue: string | null }
  | { kind: 'SIGNAL'; workflowId: string; signalName: string; args: unknown[] }
  | { kind: 'REVALUE_LINE'; workflowId: string; args: unknown[] };

export interface OutboxRow {
  id: bigint;
  kind: WorkflowCommandKind;
  workflowId: string;
  workflowType: string | null;
  signalName: string | null;
  args: unknown[];
  taskQueue: string | null;
  attempts: number;
  failedAttempts: number;
}

/**
 * Writes `commands` in `db`'s transaction, due at `now` (the writer's clock, the
 * one the dispatcher compares with); answers their ids, in order, for the
 * dispatch right after commit.
 */
export async function enqueueWorkflowCommands(db: Db, commands: readonly WorkflowCommand[], input: { requestId: string | null; now: Date }): Promise<bigint[]> {
  if (commands.length === 0) return [];
  const values = commands.map(
    (command) => Prisma.sql`(
      ${command.kind}::"WorkflowCommandKind", ${command.workflowId},
      ${command.kind === 'START' ? command.workflowType : null}, ${command.kind === 'SIGNAL' ? command.signalName : null},
      ${JSON.stringify(command.args)}::jsonb, ${command.kind === 'START' ? command.taskQueue : null}, ${input.requestId},
      ${input.now}, ${input.now})`,
  );
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO workflow_outbox (kind, workflow_id, workflow_type, signal_name, args, task_queue, request_id, created_at, next_attempt_at)
    VALUES ${Prisma.join(values)}
    RETURNING id`;
  return rows.map((row) => row.id);
}

interface RawRow {
  id: bigint;
  kind: WorkflowCommandKind;
  workflow_id: string;
  workflow_type: string | null;
  signal_name: string | null;
  args: unknown[];
  task_queue: string | null;
  attempts: number;
  failed_attempts: number;
}

/**
 * Claims up to `limit` due rows (all of `onlyIds` that are due, when given)
 * for one dispatcher until `leaseUntil`, counting the attempt. One statement:
 * FOR UPDATE SKIP LOCKED makes concurrent dispatchers take disjoint rows, and
 * the lease keeps a claimed row from being taken again until it has been
 * performed (or its dispatcher died). Rows do not wait for one another: a
 * signal that reaches a workflow not yet started is not needed, because every
 * workflow reads the database when it starts, after the signal's commit.
 */
export async function claimDueCommands(
  db: Db,
  input: { now: Date; leaseUntil: Date; limit: number; onlyIds?: readonly bigint[] },
): Promise<OutboxRow[]> {
  const onlyIds = input.onlyIds === undefined ? Prisma.empty : Prisma.sql`AND o.id = ANY(${input.onlyIds.map(String)}::bigint[])`;
  const rows = await db.$queryRaw<RawRow[]>`
    WITH due AS (
      SELECT o.id FROM workflow_outbox o
      WHERE o.dispatched_at IS NULL
        AND o.next_attempt_at <= ${input.now}
        AND (o.claimed_until IS NULL OR o.claimed_until <= ${input.now})
        ${onlyIds}
      ORDER BY o.id
      LIMIT ${input.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE workflow_outbox w
    SET claimed_until = ${input.leaseUntil}, attempts = w.attempts + 1, last_attempt_at = ${input.now}
    FROM due WHERE w.id = due.id
    RETURNING w.id, w.kind::text AS kind, w.workflow_id, w.workflow_type, w.signal_name, w.args, w.task_queue, w.attempts, w.failed_attempts`;
  return rows
    .map((row) => ({
      id: row.id,
      kind: row.kind,
      workflowId: row.workflow_id,
      workflowType: row.workflow_type,
      signalName: row.signal_name,
      args: row.args,
      taskQueue: row.task_queue,
      attempts: row.attempts,
      failedAttempts: row.failed_attempts,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The row was performed: it is never dispatched again. */
export async function recordDispatched(db: Db, id: bigint, input: { outcome: string; at: Date }): Promise<void> {
  await db.$executeRaw`
    UPDATE workflow_outbox SET dispatched_at = ${input.at}, outcome = ${input.outcome}, claimed_until = NULL, last_error = NULL
    WHERE id = ${id} AND dispatched_at IS NULL`;
}

/** The attempt failed: the row is due again at `nextAttemptAt`, with the error kept for operators. */
export async function recordFailure(db: Db, id: bigint, input: { error: string; nextAttemptAt: Date }): Promise<void> {
  await db.$executeRaw`
    UPDATE workflow_outbox
    SET failed_attempts = failed_attempts + 1, last_error = ${input.error}, next_attempt_at = ${input.nextAttemptAt}, claimed_until = NULL
    WHERE id = ${id} AND dispatched_at IS NULL`;
}

/** Deletes up to `limit` rows dispatched before `before`; answers how many. */
export async function pruneDispatched(db: Db, input: { before: Date; limit: number }): Promise<number> {
  return db.$executeRaw`
    DELETE FROM workflow_outbox WHERE id IN (
      SELECT id FROM workflow_outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ${input.before} ORDER BY dispatched_at LIMIT ${input.limit})`;
}

export interface WorkflowStartState {
  status: 'PENDING' | 'STARTED';
  attempts: number;
  /** When the dispatcher tries again (PENDING only). */
  nextAttemptAt: Date | null;
}

/** Where the start of `workflowId` stands, or null when the outbox has no start for it. */
export async function workflowStartState(db: Db, workflowId: string): Promise<WorkflowStartState | null> {
  const [row] = await db.$queryRaw<{ dispatched_at: Date | null; attempts: number; next_attempt_at: Date }[]>`
    SELECT dispatched_at, attempts, next_attempt_at FROM workflow_outbox
    WHERE workflow_id = ${workflowId} AND kind = 'START' ORDER BY id DESC LIMIT 1`;
  if (!row) return null;
  return row.dispatched_at === null
    ? { status: 'PENDING', attempts: row.attempts, nextAttemptAt: row.next_attempt_at }
    : { status: 'STARTED', attempts: row.attempts, nextAttemptAt: null };
}

export interface OutboxFigures {
  /** Rows not yet dispatched. */
  pending: number;
  /** Pending rows whose last attempt failed. */
  failing: number;
  /** Failed attempts of the rows not yet dispatched. */
  failedAttempts: number;
  /** Age of the oldest pending row at `now`, in seconds (0 when none). */
  oldestPendingSeconds: number;
}

export async function outboxFigures(db: Db, now: Date): Promise<OutboxFigures> {
  const [row] = await db.$queryRaw<{ pending: bigint; failing: bigint; failed_attempts: bigint | null; oldest: Date | null }[]>`
    SELECT count(*) AS pending, count(*) FILTER (WHERE last_error IS NOT NULL) AS failing,
           sum(failed_attempts) AS failed_attempts, min(created_at) AS oldest
    FROM workflow_outbox WHERE dispatched_at IS NULL`;
  return {
    pending: Number(row.pending),
    failing: Number(row.failing),
    failedAttempts: Number(row.failed_attempts ?? 0),
    oldestPendingSeconds: row.oldest === null ? 0 : Math.max(0, (now.getTime() - row.oldest.getTime()) / 1000),
  };
}
