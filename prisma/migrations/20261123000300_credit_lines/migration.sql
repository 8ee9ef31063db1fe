-- CreateEnum
CREATE TYPE "CreditLineStatus" AS ENUM ('ACTIVE', 'FROZEN', 'IN_DEFAULT', 'CLOSED');

-- CreateEnum
CREATE TYPE "DayCountConvention" AS ENUM ('ACT_360', 'ACT_365');

-- CreateEnum
CREATE TYPE "OnSaleFeeKind" AS ENUM ('STORAGE_DAYS', 'PERCENT_OF_PROCEEDS');

-- CreateTable
CREATE TABLE "credit_line" (
    "id" UUID NOT NULL,
    "lender_organisation_id" UUID NOT NULL,
    "seller_organisation_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "CreditLineStatus" NOT NULL DEFAULT 'ACTIVE',
    "limit_amount" DECIMAL(38,18) NOT NULL,
    "default_advance_rate" DECIMAL(20,10) NOT NULL,
    "haircut" DECIMAL(20,10) NOT NULL,
    "annual_interest_rate" DECIMAL(20,10) NOT NULL,
    "day_count" "DayCountConvention" NOT NULL,
    "on_sale_fee_kind" "OnSaleFeeKind",
    "on_sale_fee_storage_days" INTEGER,
    "on_sale_fee_daily_rate_per_unit" DECIMAL(38,18),
    "on_sale_fee_percent" DECIMAL(20,10),
    "per_draw_fee" DECIMAL(38,18),
    "max_mark_age_hours" INTEGER NOT NULL,
    "margin_call_ltv" DECIMAL(20,10) NOT NULL,
    "liquidation_ltv" DECIMAL(20,10) NOT NULL,
    "target_ltv" DECIMAL(20,10) NOT NULL,
    "cure_period_hours" INTEGER NOT NULL,
    "stock_count_interval_days" INTEGER NOT NULL,
    "maturity_date" DATE NOT NULL,
    "auto_approve_up_to" DECIMAL(38,18) NOT NULL,
    "single_approver_up_to" DECIMAL(38,18) NOT NULL,
    "approval_window_hours" INTEGER NOT NULL,
    "waterfall_order" TEXT[],
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_line_advance_rate" (
    "credit_line_id" UUID NOT NULL,
    "commodity_code" TEXT NOT NULL,
    "advance_rate" DECIMAL(20,10) NOT NULL,

    CONSTRAINT "credit_line_advance_rate_pkey" PRIMARY KEY ("credit_line_id","commodity_code")
);

-- CreateIndex
CREATE INDEX "credit_line_lender_organisation_id_idx" ON "credit_line"("lender_organisation_id");

-- CreateIndex
CREATE INDEX "credit_line_seller_organisation_id_idx" ON "credit_line"("seller_organisation_id");

-- AddForeignKey
ALTER TABLE "credit_line_advance_rate" ADD CONSTRAINT "credit_line_advance_rate_credit_line_id_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Terms that must hold whatever code writes them (DESIGN.md: credit line).
ALTER TABLE "credit_line"
  ADD CONSTRAINT "credit_line_parties_differ" CHECK ("lender_organisation_id" <> "seller_organisation_id"),
  ADD CONSTRAINT "credit_line_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$'),
  ADD CONSTRAINT "credit_line_limit_positive" CHECK ("limit_amount" > 0),
  ADD CONSTRAINT "credit_line_advance_rate_range" CHECK ("default_advance_rate" > 0 AND "default_advance_rate" <= 1),
  ADD CONSTRAINT "credit_line_haircut_range" CHECK ("haircut" >= 0 AND "haircut" < 1),
  ADD CONSTRAINT "credit_line_interest_range" CHECK ("annual_interest_rate" >= 0 AND "annual_interest_rate" <= 1),
  ADD CONSTRAINT "credit_line_ltv_order" CHECK ("target_ltv" > 0 AND "target_ltv" < "margin_call_ltv" AND "margin_call_ltv" < "liquidation_ltv"),
  ADD CONSTRAINT "credit_line_approval_order" CHECK ("auto_approve_up_to" >= 0 AND "auto_approve_up_to" <= "single_approver_up_to" AND "single_approver_up_to" <= "limit_amount"),
  ADD CONSTRAINT "credit_line_positive_periods" CHECK ("max_mark_age_hours" > 0 AND "cure_period_hours" > 0 AND "stock_count_interval_days" > 0 AND "approval_window_hours" > 0),
  ADD CONSTRAINT "credit_line_on_sale_fee_shape" CHECK (
    ("on_sale_fee_kind" IS NULL AND "on_sale_fee_storage_days" IS NULL AND "on_sale_fee_daily_rate_per_unit" IS NULL AND "on_sale_fee_percent" IS NULL)
    OR ("on_sale_fee_kind" = 'STORAGE_DAYS' AND "on_sale_fee_storage_days" > 0 AND "on_sale_fee_daily_rate_per_unit" > 0 AND "on_sale_fee_percent" IS NULL)
    OR ("on_sale_fee_kind" = 'PERCENT_OF_PROCEEDS' AND "on_sale_fee_percent" > 0 AND "on_sale_fee_storage_days" IS NULL AND "on_sale_fee_daily_rate_per_unit" IS NULL));

ALTER TABLE "credit_line_advance_rate"
  ADD CONSTRAINT "credit_line_advance_rate_range" CHECK ("advance_rate" > 0 AND "advance_rate" <= 1);

ALTER TABLE "credit_line" ADD CONSTRAINT "credit_line_lender_fkey" FOREIGN KEY ("lender_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "credit_line" ADD CONSTRAINT "credit_line_seller_fkey" FOREIGN KEY ("seller_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
