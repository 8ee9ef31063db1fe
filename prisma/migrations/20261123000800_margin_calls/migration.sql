-- CreateEnum
CREATE TYPE "MarginCallStatus" AS ENUM ('OPEN', 'CURED', 'LIQUIDATING', 'SETTLED');

-- CreateEnum
CREATE TYPE "LiquidationReason" AS ENUM ('CURE_DEADLINE_PASSED', 'LIQUIDATION_THRESHOLD');

-- CreateTable
CREATE TABLE "margin_call" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "status" "MarginCallStatus" NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "opened_at" TIMESTAMPTZ(6) NOT NULL,
    "cure_deadline" TIMESTAMPTZ(6),
    "target_ltv" DECIMAL(20,10) NOT NULL,
    "outstanding_principal_at_open" DECIMAL(38,18) NOT NULL,
    "collateral_value_at_open" DECIMAL(38,18) NOT NULL,
    "outstanding_principal" DECIMAL(38,18) NOT NULL,
    "collateral_value" DECIMAL(38,18) NOT NULL,
    "required_repayment" DECIMAL(38,18) NOT NULL,
    "required_additional_collateral_value" DECIMAL(38,18) NOT NULL,
    "evaluated_at" TIMESTAMPTZ(6) NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "cured_at" TIMESTAMPTZ(6),
    "liquidation_reason" "LiquidationReason",
    "liquidation_started_at" TIMESTAMPTZ(6),
    "settled_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "margin_call_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "margin_call_credit_line_id_opened_at_idx" ON "margin_call"("credit_line_id", "opened_at");


-- ─── Hand-written: what no caller may bypass ──────────────────────────────────

ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;

-- At most one call per line is live (OPEN or LIQUIDATING) at a time.
CREATE UNIQUE INDEX "margin_call_one_live_per_line" ON "margin_call"("credit_line_id") WHERE "status" IN ('OPEN', 'LIQUIDATING');

ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_amounts_non_negative" CHECK (
  "outstanding_principal_at_open" >= 0 AND "collateral_value_at_open" >= 0 AND "outstanding_principal" >= 0
  AND "collateral_value" >= 0 AND "required_repayment" >= 0 AND "required_additional_collateral_value" >= 0);
ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_target_ltv_range" CHECK ("target_ltv" > 0 AND "target_ltv" < 1);
-- A call that went straight to liquidation never had a cure period; any other had one that ends after it opened.
ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_cure_deadline" CHECK (
  ("cure_deadline" IS NULL AND "liquidation_reason" = 'LIQUIDATION_THRESHOLD' AND "liquidation_started_at" = "opened_at")
  OR "cure_deadline" > "opened_at");
-- Each status carries exactly the timestamps of the steps that led to it.
ALTER TABLE "margin_call" ADD CONSTRAINT "margin_call_status_timestamps" CHECK (
  CASE "status"
    WHEN 'OPEN' THEN "cured_at" IS NULL AND "liquidation_started_at" IS NULL AND "liquidation_reason" IS NULL AND "settled_at" IS NULL
    WHEN 'CURED' THEN "cured_at" IS NOT NULL AND "liquidation_started_at" IS NULL AND "liquidation_reason" IS NULL AND "settled_at" IS NULL
    WHEN 'LIQUIDATING' THEN "cured_at" IS NULL AND "liquidation_started_at" IS NOT NULL AND "liquidation_reason" IS NOT NULL AND "settled_at" IS NULL
    WHEN 'SETTLED' THEN "cured_at" IS NULL AND "liquidation_started_at" IS NOT NULL AND "liquidation_reason" IS NOT NULL AND "settled_at" IS NOT NULL
  END);
