-- AlterEnum
ALTER TYPE "LiquidationReason" ADD VALUE 'PAST_DUE';

-- AlterTable
ALTER TABLE "credit_line" ADD COLUMN     "default_after_days_past_due" INTEGER,
ADD COLUMN     "default_interest_spread" DECIMAL(20,10) NOT NULL DEFAULT 0,
ADD COLUMN     "grace_period_days" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "default_interest_accrual" (
    "credit_line_id" UUID NOT NULL,
    "accrual_date" DATE NOT NULL,
    "charged_on" DATE NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "default_spread" DECIMAL(20,10) NOT NULL,
    "day_count" "DayCountConvention" NOT NULL,
    "overdue_principal" DECIMAL NOT NULL,
    "exact_interest" DECIMAL NOT NULL,
    "carried_in" DECIMAL NOT NULL DEFAULT 0,
    "carried_out" DECIMAL NOT NULL DEFAULT 0,
    "charged_interest" DECIMAL NOT NULL DEFAULT 0,
    "posted_interest" DECIMAL NOT NULL DEFAULT 0,
    "ledger_entry_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "default_interest_accrual_pkey" PRIMARY KEY ("credit_line_id","accrual_date")
);

-- CreateTable
CREATE TABLE "line_delinquency_event" (
    "credit_line_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "due_date" DATE NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "line_delinquency_event_pkey" PRIMARY KEY ("credit_line_id","kind","due_date")
);

-- CreateIndex
CREATE UNIQUE INDEX "default_interest_accrual_ledger_entry_id_key" ON "default_interest_accrual"("ledger_entry_id");

-- CreateIndex
CREATE INDEX "default_interest_accrual_credit_line_id_charged_on_idx" ON "default_interest_accrual"("credit_line_id", "charged_on");

-- Hand-written: the terms' ranges as the code checks them (domain/delinquency.ts), the remainder identity, keys, append-only.

ALTER TABLE "credit_line"
    ADD CONSTRAINT "credit_line_delinquency_terms_range"
    CHECK ("grace_period_days" BETWEEN 0 AND 3650
           AND "default_interest_spread" BETWEEN 0 AND 1
           AND ("default_after_days_past_due" IS NULL OR ("default_after_days_past_due" BETWEEN 1 AND 3650 AND "default_after_days_past_due" > "grace_period_days")));

ALTER TABLE "default_interest_accrual"
    ADD CONSTRAINT "default_interest_accrual_figures_not_negative"
    CHECK ("overdue_principal" >= 0 AND "default_spread" >= 0 AND "exact_interest" >= 0 AND "charged_interest" >= 0),
    -- Charged on an earlier day's row, a day carries no posting figures of its own.
    ADD CONSTRAINT "default_interest_accrual_posting_on_charging_row"
    CHECK ("accrual_date" = "charged_on" OR ("carried_in" = 0 AND "carried_out" = 0 AND "charged_interest" = 0 AND "posted_interest" = 0 AND "ledger_entry_id" IS NULL)),
    ADD CONSTRAINT "default_interest_accrual_charged_not_after_day" CHECK ("accrual_date" <= "charged_on"),
    -- What was due (the days charged + carried in) is what was posted plus what is carried on.
    ADD CONSTRAINT "default_interest_accrual_remainder_carried"
    CHECK ("charged_interest" + "carried_in" = "posted_interest" + "carried_out"),
    ADD CONSTRAINT "default_interest_accrual_entry_when_posted" CHECK (("posted_interest" > 0) = ("ledger_entry_id" IS NOT NULL)),
    ADD CONSTRAINT "default_interest_accrual_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT,
    ADD CONSTRAINT "default_interest_accrual_ledger_entry_fkey" FOREIGN KEY ("ledger_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;

ALTER TABLE "line_delinquency_event"
    ADD CONSTRAINT "line_delinquency_event_kind_known" CHECK ("kind" IN ('AMOUNT_DUE', 'OVERDUE', 'DEFAULTED')),
    ADD CONSTRAINT "line_delinquency_event_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;

-- A liquidation started on a line in default by days past due (reason PAST_DUE) has no cure period, like one
-- started above the liquidation threshold. Written without naming the new value: an enum value added in a
-- transaction cannot be used in it.
ALTER TABLE "margin_call" DROP CONSTRAINT "margin_call_cure_deadline";
ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_cure_deadline" CHECK (
  ("cure_deadline" IS NULL AND "liquidation_reason" <> 'CURE_DEADLINE_PASSED' AND "liquidation_started_at" = "opened_at")
  OR "cure_deadline" > "opened_at");

-- A charged day is history: never changed or deleted.
CREATE TRIGGER default_interest_accrual_append_only
  BEFORE UPDATE OR DELETE ON "default_interest_accrual"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER default_interest_accrual_no_truncate
  BEFORE TRUNCATE ON "default_interest_accrual"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
