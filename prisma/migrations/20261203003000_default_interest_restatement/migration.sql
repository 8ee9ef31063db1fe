-- AlterTable
ALTER TABLE "default_interest_accrual" ADD COLUMN     "restated_interest" DECIMAL NOT NULL DEFAULT 0,
ADD COLUMN     "restatement_entry_id" UUID,
ADD COLUMN     "restatement_posted" DECIMAL NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "default_interest_restatement" (
    "credit_line_id" UUID NOT NULL,
    "restated_date" DATE NOT NULL,
    "restated_by" DATE NOT NULL,
    "principal_before" DECIMAL NOT NULL,
    "principal_after" DECIMAL NOT NULL,
    "interest_difference" DECIMAL NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "default_interest_restatement_pkey" PRIMARY KEY ("credit_line_id","restated_date","restated_by")
);

-- CreateIndex
CREATE INDEX "default_interest_restatement_credit_line_id_restated_by_idx" ON "default_interest_restatement"("credit_line_id", "restated_by");

-- CreateIndex
CREATE UNIQUE INDEX "default_interest_accrual_restatement_entry_id_key" ON "default_interest_accrual"("restatement_entry_id");



-- ─── Hand-written ────────────────────────────────────────────────────────────
-- Default interest is restated the way interest is (20261203000100): a charging row may also post the restatement
-- of earlier charged days whose overdue principal changed after they were charged. What was due (the days charged
-- + the days restated + carried in) is what both entries posted plus what is carried on.
ALTER TABLE "default_interest_accrual" DROP CONSTRAINT "default_interest_accrual_remainder_carried";
ALTER TABLE "default_interest_accrual" DROP CONSTRAINT "default_interest_accrual_posting_on_charging_row";
ALTER TABLE "default_interest_accrual"
    ADD CONSTRAINT "default_interest_accrual_remainder_carried"
    CHECK ("charged_interest" + "restated_interest" + "carried_in" = "posted_interest" + "restatement_posted" + "carried_out"),
    -- Charged on an earlier day's row, a day carries no posting figures of its own.
    ADD CONSTRAINT "default_interest_accrual_posting_on_charging_row"
    CHECK ("accrual_date" = "charged_on"
           OR ("carried_in" = 0 AND "carried_out" = 0 AND "charged_interest" = 0 AND "posted_interest" = 0 AND "ledger_entry_id" IS NULL
               AND "restated_interest" = 0 AND "restatement_posted" = 0 AND "restatement_entry_id" IS NULL)),
    ADD CONSTRAINT "default_interest_accrual_restatement_entry_when_posted"
    CHECK (("restatement_posted" <> 0) = ("restatement_entry_id" IS NOT NULL)),
    ADD CONSTRAINT "default_interest_accrual_interest_scale"
    CHECK (scale("exact_interest") <= 18 AND scale("carried_in") <= 18 AND scale("carried_out") <= 18 AND scale("restated_interest") <= 18),
    ADD CONSTRAINT "default_interest_accrual_restatement_entry_fkey"
    FOREIGN KEY ("restatement_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;

ALTER TABLE "default_interest_restatement"
    ADD CONSTRAINT "default_interest_restatement_restates_earlier_day" CHECK ("restated_date" < "restated_by"),
    ADD CONSTRAINT "default_interest_restatement_principal_changed"
    CHECK ("principal_before" >= 0 AND "principal_after" >= 0 AND "principal_before" <> "principal_after"),
    ADD CONSTRAINT "default_interest_restatement_interest_scale" CHECK (scale("interest_difference") <= 18),
    -- Both days are charged days of the line: the one restated and the one whose row posts the restatement.
    ADD CONSTRAINT "default_interest_restatement_restated_day_fkey"
    FOREIGN KEY ("credit_line_id", "restated_date") REFERENCES "default_interest_accrual"("credit_line_id", "accrual_date") ON DELETE RESTRICT,
    ADD CONSTRAINT "default_interest_restatement_restating_day_fkey"
    FOREIGN KEY ("credit_line_id", "restated_by") REFERENCES "default_interest_accrual"("credit_line_id", "accrual_date") ON DELETE RESTRICT;

-- A restatement is history: never changed or deleted.
CREATE TRIGGER default_interest_restatement_append_only
  BEFORE UPDATE OR DELETE ON "default_interest_restatement"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER default_interest_restatement_no_truncate
  BEFORE TRUNCATE ON "default_interest_restatement"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
