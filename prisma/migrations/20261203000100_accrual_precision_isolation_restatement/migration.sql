-- AlterTable
ALTER TABLE "interest_accrual" ADD COLUMN     "restated_interest" DECIMAL NOT NULL DEFAULT 0,
ADD COLUMN     "restatement_entry_id" UUID,
ADD COLUMN     "restatement_posted" DECIMAL NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "interest_restatement" (
    "credit_line_id" UUID NOT NULL,
    "restated_date" DATE NOT NULL,
    "restated_by" DATE NOT NULL,
    "principal_before" DECIMAL NOT NULL,
    "principal_after" DECIMAL NOT NULL,
    "interest_difference" DECIMAL NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "interest_restatement_pkey" PRIMARY KEY ("credit_line_id","restated_date","restated_by")
);

-- CreateTable
CREATE TABLE "accrual_failure" (
    "credit_line_id" UUID NOT NULL,
    "accrual_date" DATE NOT NULL,
    "reason" TEXT NOT NULL,
    "first_failed_at" TIMESTAMPTZ(6) NOT NULL,
    "last_failed_at" TIMESTAMPTZ(6) NOT NULL,
    "attempts" INTEGER NOT NULL,

    CONSTRAINT "accrual_failure_pkey" PRIMARY KEY ("credit_line_id")
);

-- CreateIndex
CREATE INDEX "interest_restatement_credit_line_id_restated_by_idx" ON "interest_restatement"("credit_line_id", "restated_by");

-- CreateIndex
CREATE UNIQUE INDEX "interest_accrual_restatement_entry_id_key" ON "interest_accrual"("restatement_entry_id");



-- ─── Hand-written ────────────────────────────────────────────────────────────
-- Precision policy (domain/interest.ts): exact interest and carried remainders
-- are quantized once to 18 decimal places (half-even); everything the rows
-- below add up is then exact in decimal.js and in NUMERIC alike, so the
-- remainder identity can never refuse a row the code produced. Rows written
-- before the policy keep their figures (NOT VALID: history is not rewritten);
-- the accrual that carries their remainder in quantizes it first.
ALTER TABLE "interest_accrual"
  ADD CONSTRAINT "interest_accrual_interest_scale"
    CHECK (scale("exact_interest") <= 18 AND scale("carried_in") <= 18 AND scale("carried_out") <= 18 AND scale("restated_interest") <= 18)
    NOT VALID;

-- A day's accrual may also post the restatement of earlier days (their principal changed after they were
-- accrued): what was due (exact + restated + carried in) is what both entries posted plus what is carried on.
ALTER TABLE "interest_accrual" DROP CONSTRAINT "interest_accrual_remainder_carried";
ALTER TABLE "interest_accrual"
  ADD CONSTRAINT "interest_accrual_remainder_carried"
    CHECK ("exact_interest" + "restated_interest" + "carried_in" = "posted_interest" + "restatement_posted" + "carried_out"),
  ADD CONSTRAINT "interest_accrual_restatement_entry_when_posted"
    CHECK (("restatement_posted" <> 0) = ("restatement_entry_id" IS NOT NULL));
ALTER TABLE "interest_accrual" ADD CONSTRAINT "interest_accrual_restatement_entry_fkey"
  FOREIGN KEY ("restatement_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;

ALTER TABLE "interest_restatement"
  ADD CONSTRAINT "interest_restatement_restates_earlier_day" CHECK ("restated_date" < "restated_by"),
  ADD CONSTRAINT "interest_restatement_principal_changed"
    CHECK ("principal_before" >= 0 AND "principal_after" >= 0 AND "principal_before" <> "principal_after"),
  ADD CONSTRAINT "interest_restatement_interest_scale" CHECK (scale("interest_difference") <= 18);
-- Both days are accrued days of the line: the one restated and the one whose entry restates it.
ALTER TABLE "interest_restatement" ADD CONSTRAINT "interest_restatement_restated_day_fkey"
  FOREIGN KEY ("credit_line_id", "restated_date") REFERENCES "interest_accrual"("credit_line_id", "accrual_date") ON DELETE RESTRICT;
ALTER TABLE "interest_restatement" ADD CONSTRAINT "interest_restatement_restating_day_fkey"
  FOREIGN KEY ("credit_line_id", "restated_by") REFERENCES "interest_accrual"("credit_line_id", "accrual_date") ON DELETE RESTRICT;
CREATE TRIGGER interest_restatement_append_only
  BEFORE UPDATE OR DELETE ON "interest_restatement"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER interest_restatement_no_truncate
  BEFORE TRUNCATE ON "interest_restatement"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

ALTER TABLE "accrual_failure"
  ADD CONSTRAINT "accrual_failure_reason_not_blank" CHECK (length(btrim("reason")) > 0),
  ADD CONSTRAINT "accrual_failure_attempts_positive" CHECK ("attempts" >= 1),
  ADD CONSTRAINT "accrual_failure_times_ordered" CHECK ("first_failed_at" <= "last_failed_at");
ALTER TABLE "accrual_failure" ADD CONSTRAINT "accrual_failure_credit_line_fkey"
  FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
