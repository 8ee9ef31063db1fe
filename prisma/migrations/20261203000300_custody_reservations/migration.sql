-- AlterTable
ALTER TABLE "release_order" ADD COLUMN     "quantity_short" DECIMAL(38,18) NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "sale" ADD COLUMN     "short_at" TIMESTAMPTZ(6);

-- AlterTable
ALTER TABLE "sale_item" ADD COLUMN     "quantity_short" DECIMAL(38,18) NOT NULL DEFAULT 0;

-- ─── Hand-written ────────────────────────────────────────────────────────────
-- Issue #11: what is sold or authorised is reserved in custody, and a loss beyond
-- a lot's free quantity makes the claims on it short (prisma/custody/reservations.ts).
-- A sale item's quantity is what is still to be delivered and may reach zero when
-- everything sold from that lot went short; what was sold is quantity + quantity_short.
ALTER TABLE "sale_item" DROP CONSTRAINT "sale_item_amounts";
ALTER TABLE "sale_item" ADD CONSTRAINT "sale_item_amounts"
  CHECK ("quantity" >= 0 AND "quantity_short" >= 0 AND "quantity" + "quantity_short" > 0 AND "price_per_unit" > 0);
-- An order never releases more than it authorises, counting what went short.
ALTER TABLE "release_order" DROP CONSTRAINT "release_order_quantities";
ALTER TABLE "release_order" ADD CONSTRAINT "release_order_quantities"
  CHECK ("quantity_authorised" > 0 AND "quantity_released" >= 0 AND "quantity_short" >= 0
         AND "quantity_released" + "quantity_short" <= "quantity_authorised");
