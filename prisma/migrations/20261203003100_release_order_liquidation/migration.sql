-- AlterTable
ALTER TABLE "release_order" ADD COLUMN     "liquidation_of_margin_call_id" UUID;

-- AddForeignKey
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_liquidation_of_margin_call_id_fkey" FOREIGN KEY ("liquidation_of_margin_call_id") REFERENCES "margin_call"("id") ON DELETE SET NULL ON UPDATE CASCADE;



-- ─── Hand-written ────────────────────────────────────────────────────────────
-- A release order says itself whether it releases a liquidation sale (whose proceeds were applied when the
-- lender recorded it); until now that was inferred from the line having a LIQUIDATING call, which also
-- exempted from the coverage check any other release the lender authorised meanwhile (found by the
-- whole-system simulation, seed 86400). Orders of past liquidation sales are found by the audit record
-- every liquidation sale writes in the same transaction.
UPDATE "release_order" AS ro
SET "liquidation_of_margin_call_id" = ar."target_id"::uuid
FROM "audit_record" AS ar
WHERE ar."action" = 'margin_call.liquidation_sale'
  AND ar."target_type" = 'margin_call'
  AND (ar."after" ->> 'releaseOrderId')::uuid = ro."id";

-- Only a lender's authorisation releases a liquidation sale.
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_liquidation_is_lender_authorisation"
  CHECK ("liquidation_of_margin_call_id" IS NULL OR "kind" = 'LENDER_AUTHORISATION');
