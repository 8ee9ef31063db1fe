-- CreateEnum
CREATE TYPE "SaleStatus" AS ENUM ('OPEN', 'PAID', 'RELEASE_AUTHORISED', 'CLOSED', 'LAPSED');

-- CreateEnum
CREATE TYPE "RepaymentKind" AS ENUM ('SALE_PAYMENT', 'DIRECT_REPAYMENT');

-- CreateTable
CREATE TABLE "sale" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "seller_organisation_id" UUID NOT NULL,
    "buyer_organisation_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "total_price" DECIMAL(38,18) NOT NULL,
    "amount_paid" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "fee_on_sale" DECIMAL(38,18) NOT NULL,
    "fee_entry_id" UUID,
    "payment_due_date" DATE NOT NULL,
    "status" "SaleStatus" NOT NULL DEFAULT 'OPEN',
    "workflow_id" TEXT NOT NULL,
    "reported_by_user_id" UUID NOT NULL,
    "paid_at" TIMESTAMPTZ(6),
    "release_authorised_at" TIMESTAMPTZ(6),
    "closed_at" TIMESTAMPTZ(6),
    "lapsed_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sale_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sale_item" (
    "id" UUID NOT NULL,
    "sale_id" UUID NOT NULL,
    "lot_id" UUID NOT NULL,
    "quantity" DECIMAL(38,18) NOT NULL,
    "unit" TEXT NOT NULL,
    "price_per_unit" DECIMAL(38,18) NOT NULL,
    "release_order_id" UUID,

    CONSTRAINT "sale_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "repayment" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "kind" "RepaymentKind" NOT NULL,
    "sale_id" UUID,
    "amount" DECIMAL(38,18) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "fees_paid" DECIMAL(38,18) NOT NULL,
    "interest_paid" DECIMAL(38,18) NOT NULL,
    "principal_paid" DECIMAL(38,18) NOT NULL,
    "to_seller" DECIMAL(38,18) NOT NULL,
    "received_on" DATE NOT NULL,
    "reference" TEXT,
    "entry_id" UUID NOT NULL,
    "recorded_by_user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repayment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "seller_payout" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "paid_on" DATE NOT NULL,
    "reference" TEXT,
    "entry_id" UUID NOT NULL,
    "recorded_by_user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seller_payout_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sale_workflow_id_key" ON "sale"("workflow_id");

-- CreateIndex
CREATE INDEX "sale_credit_line_id_status_idx" ON "sale"("credit_line_id", "status");

-- CreateIndex
CREATE INDEX "sale_status_payment_due_date_idx" ON "sale"("status", "payment_due_date");

-- CreateIndex
CREATE UNIQUE INDEX "sale_item_release_order_id_key" ON "sale_item"("release_order_id");

-- CreateIndex
CREATE INDEX "sale_item_lot_id_idx" ON "sale_item"("lot_id");

-- CreateIndex
CREATE UNIQUE INDEX "sale_item_sale_id_lot_id_key" ON "sale_item"("sale_id", "lot_id");

-- CreateIndex
CREATE UNIQUE INDEX "repayment_entry_id_key" ON "repayment"("entry_id");

-- CreateIndex
CREATE INDEX "repayment_credit_line_id_created_at_idx" ON "repayment"("credit_line_id", "created_at");

-- CreateIndex
CREATE INDEX "repayment_sale_id_idx" ON "repayment"("sale_id");

-- CreateIndex
CREATE UNIQUE INDEX "seller_payout_entry_id_key" ON "seller_payout"("entry_id");

-- CreateIndex
CREATE INDEX "seller_payout_credit_line_id_created_at_idx" ON "seller_payout"("credit_line_id", "created_at");

-- AddForeignKey
ALTER TABLE "sale_item" ADD CONSTRAINT "sale_item_sale_id_fkey" FOREIGN KEY ("sale_id") REFERENCES "sale"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ─── Hand-written: foreign keys to other sections, amount and status rules ───

ALTER TABLE "sale" ADD CONSTRAINT "sale_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "sale" ADD CONSTRAINT "sale_seller_organisation_fkey" FOREIGN KEY ("seller_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "sale" ADD CONSTRAINT "sale_buyer_organisation_fkey" FOREIGN KEY ("buyer_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "sale" ADD CONSTRAINT "sale_reported_by_user_fkey" FOREIGN KEY ("reported_by_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;
ALTER TABLE "sale" ADD CONSTRAINT "sale_fee_entry_fkey" FOREIGN KEY ("fee_entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
ALTER TABLE "sale_item" ADD CONSTRAINT "sale_item_lot_fkey" FOREIGN KEY ("lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT;
ALTER TABLE "sale_item" ADD CONSTRAINT "sale_item_release_order_fkey" FOREIGN KEY ("release_order_id") REFERENCES "release_order"("id") ON DELETE RESTRICT;
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_sale_fkey" FOREIGN KEY ("sale_id") REFERENCES "sale"("id") ON DELETE RESTRICT;
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_entry_fkey" FOREIGN KEY ("entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_recorded_by_user_fkey" FOREIGN KEY ("recorded_by_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;
ALTER TABLE "seller_payout" ADD CONSTRAINT "seller_payout_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "seller_payout" ADD CONSTRAINT "seller_payout_entry_fkey" FOREIGN KEY ("entry_id") REFERENCES "journal_entry"("id") ON DELETE RESTRICT;
ALTER TABLE "seller_payout" ADD CONSTRAINT "seller_payout_recorded_by_user_fkey" FOREIGN KEY ("recorded_by_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;

ALTER TABLE "sale" ADD CONSTRAINT "sale_amounts" CHECK ("total_price" > 0 AND "amount_paid" >= 0 AND "amount_paid" <= "total_price" AND "fee_on_sale" >= 0);
ALTER TABLE "sale" ADD CONSTRAINT "sale_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "sale" ADD CONSTRAINT "sale_buyer_is_not_seller" CHECK ("buyer_organisation_id" <> "seller_organisation_id");
-- A sale is PAID (or later) exactly when it is fully paid; a lapsed sale was not.
ALTER TABLE "sale" ADD CONSTRAINT "sale_paid_status" CHECK (("status" IN ('PAID', 'RELEASE_AUTHORISED', 'CLOSED')) = ("amount_paid" = "total_price"));
ALTER TABLE "sale_item" ADD CONSTRAINT "sale_item_amounts" CHECK ("quantity" > 0 AND "price_per_unit" > 0);
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_split" CHECK (
  "amount" > 0 AND "fees_paid" >= 0 AND "interest_paid" >= 0 AND "principal_paid" >= 0 AND "to_seller" >= 0
  AND "fees_paid" + "interest_paid" + "principal_paid" + "to_seller" = "amount");
ALTER TABLE "repayment" ADD CONSTRAINT "repayment_kind_sale" CHECK (("kind" = 'SALE_PAYMENT') = ("sale_id" IS NOT NULL));
ALTER TABLE "seller_payout" ADD CONSTRAINT "seller_payout_amount_positive" CHECK ("amount" > 0);

-- Repayments and payouts are the reasons for posted ledger entries: never changed.
CREATE TRIGGER repayment_append_only BEFORE UPDATE OR DELETE ON "repayment" FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER repayment_no_truncate BEFORE TRUNCATE ON "repayment" FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER seller_payout_append_only BEFORE UPDATE OR DELETE ON "seller_payout" FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER seller_payout_no_truncate BEFORE TRUNCATE ON "seller_payout" FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
