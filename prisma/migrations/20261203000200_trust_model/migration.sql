-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "CreditLineStatus" ADD VALUE 'OFFERED' BEFORE 'ACTIVE';
ALTER TYPE "CreditLineStatus" ADD VALUE 'DECLINED' AFTER 'OFFERED';
ALTER TYPE "CreditLineStatus" ADD VALUE 'WITHDRAWN' AFTER 'DECLINED';

-- AlterTable
ALTER TABLE "credit_line" ADD COLUMN     "accepted_at" TIMESTAMPTZ(6),
ALTER COLUMN "status" DROP DEFAULT;

-- CreateTable
CREATE TABLE "counterpart" (
    "lender_organisation_id" UUID NOT NULL,
    "counterpart_organisation_id" UUID NOT NULL,
    "counterpart_kind" "OrganisationKind" NOT NULL,
    "created_by_user_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "counterpart_pkey" PRIMARY KEY ("lender_organisation_id","counterpart_organisation_id")
);

-- CreateTable
CREATE TABLE "invitation" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "claimed_at" TIMESTAMPTZ(6),
    "created_by_user_id" UUID,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_line_approved_warehouse" (
    "credit_line_id" UUID NOT NULL,
    "warehouse_id" UUID NOT NULL,

    CONSTRAINT "credit_line_approved_warehouse_pkey" PRIMARY KEY ("credit_line_id","warehouse_id")
);

-- CreateIndex
CREATE INDEX "counterpart_counterpart_organisation_id_idx" ON "counterpart"("counterpart_organisation_id");

-- CreateIndex
CREATE INDEX "invitation_user_id_idx" ON "invitation"("user_id");

-- CreateIndex
CREATE INDEX "credit_line_approved_warehouse_warehouse_id_idx" ON "credit_line_approved_warehouse"("warehouse_id");

-- AddForeignKey
ALTER TABLE "invitation" ADD CONSTRAINT "invitation_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_line_approved_warehouse" ADD CONSTRAINT "credit_line_approved_warehouse_credit_line_id_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_line_approved_warehouse" ADD CONSTRAINT "credit_line_approved_warehouse_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ─── Hand-written ────────────────────────────────────────────────────────────

-- A counterpart relation joins a LENDER to a SELLER, WAREHOUSE or BUYER it onboarded.
ALTER TABLE "counterpart"
  ADD CONSTRAINT "counterpart_lender_organisation_id_fkey" FOREIGN KEY ("lender_organisation_id") REFERENCES "organisation"("id"),
  ADD CONSTRAINT "counterpart_counterpart_organisation_id_fkey" FOREIGN KEY ("counterpart_organisation_id") REFERENCES "organisation"("id"),
  ADD CONSTRAINT "counterpart_kind_is_not_lender" CHECK ("counterpart_kind" IN ('SELLER', 'WAREHOUSE', 'BUYER')),
  ADD CONSTRAINT "counterpart_not_self" CHECK ("lender_organisation_id" <> "counterpart_organisation_id");

-- An invitation is claimed at most once, and only before it expires.
ALTER TABLE "invitation"
  ADD CONSTRAINT "invitation_secret_hash_is_sha256" CHECK ("secret_hash" ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT "invitation_claimed_before_expiry" CHECK ("claimed_at" IS NULL OR "claimed_at" <= "expires_at");

-- Lines opened before offers existed were ACTIVE and valued goods in any
-- warehouse. Keep what they value today: their lender and seller become
-- counterparts, and the warehouses holding goods pledged to them are approved
-- (their operators become the lender's warehouse counterparts).
INSERT INTO "counterpart" ("lender_organisation_id", "counterpart_organisation_id", "counterpart_kind")
SELECT DISTINCT cl.lender_organisation_id, cl.seller_organisation_id, 'SELLER'::"OrganisationKind"
  FROM credit_line cl
ON CONFLICT DO NOTHING;

INSERT INTO "credit_line_approved_warehouse" ("credit_line_id", "warehouse_id")
SELECT DISTINCT li.credit_line_id, l.warehouse_id
  FROM lien li JOIN lot l ON l.id = li.lot_id
ON CONFLICT DO NOTHING;

INSERT INTO "counterpart" ("lender_organisation_id", "counterpart_organisation_id", "counterpart_kind")
SELECT DISTINCT cl.lender_organisation_id, w.organisation_id, 'WAREHOUSE'::"OrganisationKind"
  FROM credit_line_approved_warehouse aw
  JOIN credit_line cl ON cl.id = aw.credit_line_id
  JOIN warehouse w ON w.id = aw.warehouse_id
ON CONFLICT DO NOTHING;

-- valued_lots(), replaced (same signature and columns as in 20261123001100_valuation_functions):
-- a lot pledged to a line lends only when it sits in a warehouse the line's lender
-- approved for the line (credit_line_approved_warehouse); elsewhere it is ineligible
-- with the reason WAREHOUSE_NOT_APPROVED, exactly as domain/valuation.ts decides.
-- line_borrowing_base() calls valued_lots() and is unchanged.
CREATE OR REPLACE FUNCTION valued_lots(p_line_ids uuid[], p_now timestamptz, p_excluded_lot_id uuid)
RETURNS TABLE (
  credit_line_id uuid,
  lot_id uuid,
  receipt_number text,
  commodity_code text,
  grade text,
  quantity numeric,
  unit text,
  price_per_unit numeric,
  as_of timestamptz,
  advance_rate numeric,
  market_value numeric,
  collateral_value numeric,
  lending_value numeric,
  eligible boolean,
  reasons text[]
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH line AS MATERIALIZED (
    SELECT id, lender_organisation_id, currency, haircut, default_advance_rate, max_mark_age_hours, stock_count_interval_days
      FROM credit_line WHERE id = ANY(p_line_ids)
  ),
  pledged AS MATERIALIZED (
    SELECT li.credit_line_id, l.id AS lot_id, l.receipt_number, l.commodity_code, l.grade, l.quantity, l.unit,
           l.count_difference_flag, l.quality_hold, l.last_counted_at, li.pledged_at,
           EXISTS (SELECT 1 FROM credit_line_approved_warehouse aw
                    WHERE aw.credit_line_id = li.credit_line_id AND aw.warehouse_id = l.warehouse_id) AS in_approved_warehouse
      FROM line
      JOIN lien li ON li.credit_line_id = line.id AND li.released_at IS NULL
      JOIN lot l ON l.id = li.lot_id
     WHERE p_excluded_lot_id IS NULL OR l.id <> p_excluded_lot_id
  ),
  -- One index probe per distinct (lender, currency, commodity, grade), not per lot; materialised so
  -- that it is computed once, never again for each pledged lot it is joined to.
  latest_mark AS MATERIALIZED (
    SELECT pair.lender_organisation_id, pair.currency, pair.commodity_code, pair.grade, m.price_per_unit, m.as_of
      FROM (SELECT DISTINCT line.lender_organisation_id, line.currency, p.commodity_code, p.grade
              FROM pledged p JOIN line ON line.id = p.credit_line_id) pair
      CROSS JOIN LATERAL (
        SELECT pm.price_per_unit, pm.as_of FROM price_mark pm
         WHERE pm.lender_organisation_id = pair.lender_organisation_id AND pm.commodity_code = pair.commodity_code
           AND pm.grade = pair.grade AND pm.currency = pair.currency
         ORDER BY pm.as_of DESC, pm.created_at DESC
         LIMIT 1) m
  ),
  -- Goods sold in a live sale and not yet gone. The unpaid share of an OPEN sale still
  -- secures the line at the lower of the mark and the sale price; the paid share (and a
  -- fully paid sale's goods) is the buyer's. Multiply before dividing, so that a sale
  -- with no payment values exactly. A join grouped by lot, not a subquery per lot: most
  -- pledged lots have no sale, and 100 000 index probes cost more than one hash join.
  sold AS (
    SELECT p.lot_id,
           sum(si.quantity - coalesce(ro.quantity_released, 0)) AS sold_quantity,
           coalesce(sum(si.quantity * (s.total_price - s.amount_paid) * least(si.price_per_unit, m.price_per_unit) / s.total_price)
                    FILTER (WHERE s.status = 'OPEN'), 0) AS sold_unpaid_value
      FROM pledged p
      JOIN line ON line.id = p.credit_line_id
      JOIN sale_item si ON si.lot_id = p.lot_id
      JOIN sale s ON s.id = si.sale_id AND s.status IN ('OPEN', 'PAID', 'RELEASE_AUTHORISED')
      LEFT JOIN release_order ro ON ro.id = si.release_order_id
      LEFT JOIN latest_mark m ON m.lender_organisation_id = line.lender_organisation_id AND m.currency = line.currency
                             AND m.commodity_code = p.commodity_code AND m.grade = p.grade
     GROUP BY p.lot_id
  ),
  valued AS (
    SELECT p.*, m.price_per_unit, m.as_of, line.haircut,
           coalesce(sold.sold_quantity, 0) AS sold_quantity, coalesce(sold.sold_unpaid_value, 0) AS sold_unpaid_value,
           coalesce(ar.advance_rate, line.default_advance_rate) AS advance_rate,
           array_remove(ARRAY[
             CASE WHEN m.price_per_unit IS NULL THEN 'NO_MARK_IN_LINE_CURRENCY' END,
             CASE WHEN m.as_of < p_now - line.max_mark_age_hours * interval '1 hour' THEN 'MARK_STALE' END,
             CASE WHEN p.count_difference_flag THEN 'COUNT_DIFFERENCE_FLAG' END,
             CASE WHEN p.quality_hold THEN 'QUALITY_HOLD' END,
             CASE WHEN coalesce(p.last_counted_at, p.pledged_at) < p_now - line.stock_count_interval_days * interval '24 hours'
                  THEN 'STOCK_COUNT_OVERDUE' END,
             CASE WHEN NOT p.in_approved_warehouse THEN 'WAREHOUSE_NOT_APPROVED' END
           ]::text[], NULL) AS reasons
      FROM pledged p
      JOIN line ON line.id = p.credit_line_id
      LEFT JOIN latest_mark m ON m.lender_organisation_id = line.lender_organisation_id AND m.currency = line.currency
                             AND m.commodity_code = p.commodity_code AND m.grade = p.grade
      LEFT JOIN credit_line_advance_rate ar ON ar.credit_line_id = line.id AND ar.commodity_code = p.commodity_code
      LEFT JOIN sold ON sold.lot_id = p.lot_id
  )
  SELECT v.credit_line_id, v.lot_id, v.receipt_number, v.commodity_code, v.grade, v.quantity::numeric, v.unit,
         v.price_per_unit::numeric, v.as_of, v.advance_rate::numeric,
         coalesce(v.secured_value, 0) AS market_value,
         coalesce(v.secured_value * (1 - v.haircut), 0) AS collateral_value,
         CASE WHEN cardinality(v.reasons) = 0 THEN v.secured_value * (1 - v.haircut) * v.advance_rate ELSE 0 END AS lending_value,
         cardinality(v.reasons) = 0 AS eligible,
         v.reasons
    FROM (SELECT valued.*,
                 -- Without a mark the value is NULL (least() would otherwise ignore the missing mark).
                 CASE WHEN valued.price_per_unit IS NULL THEN NULL
                      ELSE (valued.quantity - valued.sold_quantity) * valued.price_per_unit + valued.sold_unpaid_value END AS secured_value
            FROM valued) v
$fn$;
