-- CreateEnum
CREATE TYPE "LocationKind" AS ENUM ('STORE_ROOM', 'COLD_ROOM', 'VESSEL', 'TRUCK');

-- CreateEnum
CREATE TYPE "CustodyEventType" AS ENUM ('RECEIVED', 'INSPECTED', 'MOVED', 'SPLIT_OUT', 'SPLIT_IN', 'ADJUSTED', 'COUNTED', 'RELEASE_ORDERED', 'RELEASED', 'PLEDGED', 'UNPLEDGE_CONSENTED', 'UNPLEDGED');

-- CreateEnum
CREATE TYPE "ReleaseOrderKind" AS ENUM ('SELLER_INSTRUCTION', 'LENDER_AUTHORISATION');

-- CreateEnum
CREATE TYPE "ReleaseOrderStatus" AS ENUM ('OPEN', 'COMPLETED');

-- CreateTable
CREATE TABLE "warehouse" (
    "id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "warehouse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "warehouse_location" (
    "id" UUID NOT NULL,
    "warehouse_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "LocationKind" NOT NULL,
    "carrier" TEXT,
    "voyage" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "warehouse_location_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commodity" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "grades" TEXT[],
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commodity_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "lot" (
    "id" UUID NOT NULL,
    "warehouse_id" UUID NOT NULL,
    "location_id" UUID NOT NULL,
    "seller_organisation_id" UUID NOT NULL,
    "commodity_code" TEXT NOT NULL,
    "grade" TEXT NOT NULL,
    "quantity" DECIMAL(38,18) NOT NULL,
    "unit" TEXT NOT NULL,
    "receipt_number" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL,
    "quality_hold" BOOLEAN NOT NULL DEFAULT false,
    "count_difference_flag" BOOLEAN NOT NULL DEFAULT false,
    "last_counted_at" TIMESTAMPTZ(6),
    "split_from_lot_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "custody_event" (
    "id" UUID NOT NULL,
    "lot_id" UUID NOT NULL,
    "type" "CustodyEventType" NOT NULL,
    "actor_user_id" UUID NOT NULL,
    "actor_organisation_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reason" TEXT,
    "quantity_before" DECIMAL(38,18) NOT NULL,
    "quantity_after" DECIMAL(38,18) NOT NULL,
    "details" JSONB,
    "request_id" TEXT,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "custody_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lien" (
    "id" UUID NOT NULL,
    "lot_id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "pledged_by_user_id" UUID NOT NULL,
    "pledged_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lender_consent_user_id" UUID,
    "lender_consent_at" TIMESTAMPTZ(6),
    "released_by_user_id" UUID,
    "released_at" TIMESTAMPTZ(6),

    CONSTRAINT "lien_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_order" (
    "id" UUID NOT NULL,
    "lot_id" UUID NOT NULL,
    "kind" "ReleaseOrderKind" NOT NULL,
    "credit_line_id" UUID,
    "quantity_authorised" DECIMAL(38,18) NOT NULL,
    "quantity_released" DECIMAL(38,18) NOT NULL DEFAULT 0,
    "status" "ReleaseOrderStatus" NOT NULL DEFAULT 'OPEN',
    "created_by_user_id" UUID NOT NULL,
    "created_by_organisation_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "release_order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_mark" (
    "id" UUID NOT NULL,
    "lender_organisation_id" UUID NOT NULL,
    "commodity_code" TEXT NOT NULL,
    "grade" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "price_per_unit" DECIMAL(38,18) NOT NULL,
    "source" TEXT NOT NULL,
    "as_of" TIMESTAMPTZ(6) NOT NULL,
    "posted_by_user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_mark_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "warehouse_organisation_id_idx" ON "warehouse"("organisation_id");

-- CreateIndex
CREATE UNIQUE INDEX "warehouse_location_warehouse_id_name_key" ON "warehouse_location"("warehouse_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "warehouse_location_id_warehouse_id_key" ON "warehouse_location"("id", "warehouse_id");

-- CreateIndex
CREATE INDEX "lot_seller_organisation_id_idx" ON "lot"("seller_organisation_id");

-- CreateIndex
CREATE INDEX "lot_location_id_idx" ON "lot"("location_id");

-- CreateIndex
CREATE UNIQUE INDEX "lot_warehouse_id_receipt_number_key" ON "lot"("warehouse_id", "receipt_number");

-- CreateIndex
CREATE INDEX "custody_event_lot_id_seq_idx" ON "custody_event"("lot_id", "seq");

-- CreateIndex
CREATE INDEX "lien_credit_line_id_lot_id_idx" ON "lien"("credit_line_id", "lot_id");

-- CreateIndex
CREATE INDEX "lien_lot_id_idx" ON "lien"("lot_id");

-- CreateIndex
CREATE INDEX "release_order_lot_id_idx" ON "release_order"("lot_id");

-- CreateIndex
CREATE INDEX "price_mark_lender_organisation_id_commodity_code_grade_curr_idx" ON "price_mark"("lender_organisation_id", "commodity_code", "grade", "currency", "as_of" DESC, "created_at" DESC);

-- AddForeignKey
ALTER TABLE "warehouse_location" ADD CONSTRAINT "warehouse_location_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lot" ADD CONSTRAINT "lot_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lot" ADD CONSTRAINT "lot_location_id_warehouse_id_fkey" FOREIGN KEY ("location_id", "warehouse_id") REFERENCES "warehouse_location"("id", "warehouse_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lot" ADD CONSTRAINT "lot_commodity_code_fkey" FOREIGN KEY ("commodity_code") REFERENCES "commodity"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custody_event" ADD CONSTRAINT "custody_event_lot_id_fkey" FOREIGN KEY ("lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lien" ADD CONSTRAINT "lien_lot_id_fkey" FOREIGN KEY ("lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_lot_id_fkey" FOREIGN KEY ("lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_mark" ADD CONSTRAINT "price_mark_commodity_code_fkey" FOREIGN KEY ("commodity_code") REFERENCES "commodity"("code") ON DELETE RESTRICT ON UPDATE CASCADE;



-- ─── Hand-written: what no caller may bypass ──────────────────────────────────

-- Parties are organisations; liens and authorisations point at credit lines.
ALTER TABLE "warehouse" ADD CONSTRAINT "warehouse_organisation_fkey" FOREIGN KEY ("organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "lot" ADD CONSTRAINT "lot_seller_organisation_fkey" FOREIGN KEY ("seller_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "lot" ADD CONSTRAINT "lot_split_from_lot_fkey" FOREIGN KEY ("split_from_lot_id") REFERENCES "lot"("id") ON DELETE RESTRICT;
ALTER TABLE "custody_event" ADD CONSTRAINT "custody_event_actor_user_fkey" FOREIGN KEY ("actor_user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT;
ALTER TABLE "custody_event" ADD CONSTRAINT "custody_event_actor_organisation_fkey" FOREIGN KEY ("actor_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;
ALTER TABLE "lien" ADD CONSTRAINT "lien_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "price_mark" ADD CONSTRAINT "price_mark_lender_organisation_fkey" FOREIGN KEY ("lender_organisation_id") REFERENCES "organisation"("id") ON DELETE RESTRICT;

-- Quantities and prices are never negative; a release never exceeds its authorisation.
ALTER TABLE "lot" ADD CONSTRAINT "lot_quantity_non_negative" CHECK ("quantity" >= 0);
ALTER TABLE "lot" ADD CONSTRAINT "lot_receipt_number_not_blank" CHECK (length(btrim("receipt_number")) > 0);
ALTER TABLE "custody_event" ADD CONSTRAINT "custody_event_quantities_non_negative" CHECK ("quantity_before" >= 0 AND "quantity_after" >= 0);
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_quantities" CHECK ("quantity_authorised" > 0 AND "quantity_released" >= 0 AND "quantity_released" <= "quantity_authorised");
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_kind_line" CHECK (("kind" = 'LENDER_AUTHORISATION') = ("credit_line_id" IS NOT NULL));
ALTER TABLE "price_mark" ADD CONSTRAINT "price_mark_price_non_negative" CHECK ("price_per_unit" >= 0);
ALTER TABLE "price_mark" ADD CONSTRAINT "price_mark_currency_iso" CHECK ("currency" ~ '^[A-Z]{3}$');
ALTER TABLE "warehouse_location" ADD CONSTRAINT "warehouse_location_transit_carrier" CHECK ("kind" NOT IN ('VESSEL', 'TRUCK') OR "carrier" IS NOT NULL);

-- A lot is pledged to at most one line at a time.
CREATE UNIQUE INDEX "lien_one_active_per_lot" ON "lien"("lot_id") WHERE "released_at" IS NULL;
-- The borrowing base reads a line's active liens.
CREATE INDEX "lien_active_by_credit_line" ON "lien"("credit_line_id", "lot_id") WHERE "released_at" IS NULL;

-- History is append-only: custody events and price marks are never changed or deleted.
CREATE TRIGGER custody_event_append_only
  BEFORE UPDATE OR DELETE ON "custody_event"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER custody_event_no_truncate
  BEFORE TRUNCATE ON "custody_event"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER price_mark_append_only
  BEFORE UPDATE OR DELETE ON "price_mark"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER price_mark_no_truncate
  BEFORE TRUNCATE ON "price_mark"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
