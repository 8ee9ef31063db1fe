-- Transactional outbox of workflow starts and signals (issue #11, item 9): see
-- the WorkflowOutbox model in schema.prisma and workflows/outbox/dispatcher.ts.

-- CreateEnum
CREATE TYPE "WorkflowCommandKind" AS ENUM ('START', 'SIGNAL', 'REVALUE_LINE');

-- CreateTable
CREATE TABLE "workflow_outbox" (
    "id" BIGSERIAL NOT NULL,
    "kind" "WorkflowCommandKind" NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "workflow_type" TEXT,
    "signal_name" TEXT,
    "args" JSONB NOT NULL DEFAULT '[]',
    "task_queue" TEXT,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "next_attempt_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(6),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "last_attempt_at" TIMESTAMPTZ(6),
    "dispatched_at" TIMESTAMPTZ(6),
    "outcome" TEXT,

    CONSTRAINT "workflow_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "workflow_outbox_workflow_id_id_idx" ON "workflow_outbox"("workflow_id", "id");


-- ─── Hand-written ───────────────────────────────────────────────────────────

-- What each kind needs, so that a row the dispatcher cannot perform is refused at write time.
ALTER TABLE workflow_outbox ADD CONSTRAINT workflow_outbox_command_complete CHECK (
  (kind <> 'START' OR workflow_type IS NOT NULL)
  AND (kind <> 'SIGNAL' OR signal_name IS NOT NULL)
  AND jsonb_typeof(args) = 'array'
  AND attempts >= 0 AND failed_attempts >= 0 AND failed_attempts <= attempts
);
-- A dispatched row records how; a pending one has no outcome.
ALTER TABLE workflow_outbox ADD CONSTRAINT workflow_outbox_outcome_when_dispatched CHECK ((dispatched_at IS NULL) = (outcome IS NULL));

-- The dispatcher's scan: pending rows in order (dispatched rows, the vast majority, are not indexed here).
CREATE INDEX workflow_outbox_pending_idx ON workflow_outbox (id) WHERE dispatched_at IS NULL;
-- Pruning of dispatched rows past their retention.
CREATE INDEX workflow_outbox_dispatched_at_idx ON workflow_outbox (dispatched_at) WHERE dispatched_at IS NOT NULL;
