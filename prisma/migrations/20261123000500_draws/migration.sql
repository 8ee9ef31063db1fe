-- CreateEnum
CREATE TYPE "DrawStatus" AS ENUM ('REQUESTED', 'APPROVED', 'DISBURSED', 'REJECTED', 'EXPIRED', 'REFUSED');

-- CreateEnum
CREATE TYPE "DrawDecisionKind" AS ENUM ('APPROVE', 'REJECT');

-- CreateTable
CREATE TABLE "draw" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "requested_by_user_id" UUID NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "purpose" TEXT,
    "lot_id" UUID,
    "status" "DrawStatus" NOT NULL DEFAULT 'REQUESTED',
    "required_approvals" INTEGER NOT NULL,
    "approval_deadline" TIMESTAMPTZ(6) NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "disbursement_entry_id" UUID,
    "fee_entry_id" UUID,
    "refusal_reason" TEXT,
    "decided_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "draw_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "draw_decision" (
    "id" UUID NOT NULL,
    "draw_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "decision" "DrawDecisionKind" NOT NULL,
    "reason" TEXT,
    "decided_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "draw_decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification" (
    "id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMPTZ(6),
    "acknowledged_by_user_id" UUID,

    CONSTRAINT "notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "draw_workflow_id_key" ON "draw"("workflow_id");

-- CreateIndex
CREATE INDEX "draw_credit_line_id_status_idx" ON "draw"("credit_line_id", "status");

-- CreateIndex
CREATE INDEX "draw_status_created_at_idx" ON "draw"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "draw_decision_draw_id_user_id_key" ON "draw_decision"("draw_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "notification_dedupe_key_key" ON "notification"("dedupe_key");

-- CreateIndex
CREATE INDEX "notification_organisation_id_created_at_idx" ON "notification"("organisation_id", "created_at");

-- AddForeignKey
ALTER TABLE "draw_decision" ADD CONSTRAINT "draw_decision_draw_id_fkey" FOREIGN KEY ("draw_id") REFERENCES "draw"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ─── Hand-written: foreign keys to other sections, CHECKs ────────────────────

ALTER TABLE "draw" ADD CONSTRAINT "draw_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "draw" ADD CONSTRAINT "draw_requested_by_user_fkey" FOREIGN KEY ("requested_by_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;
ALTER TABLE "draw" ADD CONSTRAINT "draw_lot_fkey" FOREIGN KEY ("lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT;
ALTER TABLE "draw" ADD CONSTRAINT "draw_disbursement_entry_fkey" FOREIGN KEY ("disbursement_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
ALTER TABLE "draw" ADD CONSTRAINT "draw_fee_entry_fkey" FOREIGN KEY ("fee_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
ALTER TABLE "draw_decision" ADD CONSTRAINT "draw_decision_user_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;
ALTER TABLE "notification" ADD CONSTRAINT "notification_organisation_fkey" FOREIGN KEY ("organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "notification" ADD CONSTRAINT "notification_acknowledged_by_user_fkey" FOREIGN KEY ("acknowledged_by_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;

ALTER TABLE "draw" ADD CONSTRAINT "draw_amount_positive" CHECK ("amount" > 0);
ALTER TABLE "draw" ADD CONSTRAINT "draw_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "draw" ADD CONSTRAINT "draw_required_approvals_range" CHECK ("required_approvals" BETWEEN 0 AND 2);
-- A disbursed draw names its ledger entry; only a disbursed draw has one; a refused draw says why.
ALTER TABLE "draw" ADD CONSTRAINT "draw_disbursed_has_entry" CHECK (("status" = 'DISBURSED') = ("disbursement_entry_id" IS NOT NULL));
ALTER TABLE "draw" ADD CONSTRAINT "draw_fee_only_when_disbursed" CHECK ("fee_entry_id" IS NULL OR "status" = 'DISBURSED');
ALTER TABLE "draw" ADD CONSTRAINT "draw_refused_has_reason" CHECK (("status" = 'REFUSED') = ("refusal_reason" IS NOT NULL));
ALTER TABLE "notification" ADD CONSTRAINT "notification_acknowledged_together" CHECK (("acknowledged_at" IS NULL) = ("acknowledged_by_user_id" IS NULL));

-- Reservations are summed per line over the statuses that hold availability.
CREATE INDEX "draw_reserved_by_line" ON "draw"("credit_line_id") INCLUDE ("amount") WHERE "status" IN ('REQUESTED', 'APPROVED');

-- Decisions are evidence: never changed or deleted.
CREATE TRIGGER draw_decision_append_only
  BEFORE UPDATE OR DELETE ON "draw_decision"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
