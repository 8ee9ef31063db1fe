-- CreateTable
CREATE TABLE "interest_accrual" (
    "credit_line_id" UUID NOT NULL,
    "accrual_date" DATE NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "annual_interest_rate" DECIMAL NOT NULL,
    "day_count" "DayCountConvention" NOT NULL,
    "outstanding_principal" DECIMAL NOT NULL,
    "exact_interest" DECIMAL NOT NULL,
    "carried_in" DECIMAL NOT NULL,
    "posted_interest" DECIMAL NOT NULL,
    "carried_out" DECIMAL NOT NULL,
    "ledger_entry_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "interest_accrual_pkey" PRIMARY KEY ("credit_line_id","accrual_date")
);

-- CreateIndex
CREATE INDEX "interest_accrual_accrual_date_idx" ON "interest_accrual"("accrual_date");


-- ─── Invariants Prisma cannot express ───────────────────────────────────────
-- Each row is one application of accrueDay() (domain/interest.ts). The
-- figures are unconstrained NUMERIC, so the remainder identity below holds
-- exactly, not to some scale.

ALTER TABLE "interest_accrual"
  ADD CONSTRAINT "interest_accrual_figures_not_negative"
    CHECK ("outstanding_principal" >= 0 AND "annual_interest_rate" >= 0 AND "exact_interest" >= 0 AND "posted_interest" >= 0),
  -- What was due (exact + carried in) is what was posted plus what is carried on.
  ADD CONSTRAINT "interest_accrual_remainder_carried"
    CHECK ("exact_interest" + "carried_in" = "posted_interest" + "carried_out"),
  -- An entry exactly when something was posted.
  ADD CONSTRAINT "interest_accrual_entry_when_posted"
    CHECK (("posted_interest" > 0) = ("ledger_entry_id" IS NOT NULL));

ALTER TABLE "interest_accrual" ADD CONSTRAINT "interest_accrual_credit_line_fkey"
  FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "interest_accrual" ADD CONSTRAINT "interest_accrual_ledger_entry_fkey"
  FOREIGN KEY ("ledger_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
CREATE UNIQUE INDEX "interest_accrual_ledger_entry_key" ON "interest_accrual"("ledger_entry_id");

-- An accrued day is history: never changed or deleted.
CREATE TRIGGER interest_accrual_append_only
  BEFORE UPDATE OR DELETE ON "interest_accrual"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER interest_accrual_no_truncate
  BEFORE TRUNCATE ON "interest_accrual"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
