-- Issue #11, items 5, 8 and failure isolation (see prisma/margin/ and domain/margin.ts).

-- CreateEnum
CREATE TYPE "MarginCallCause" AS ENUM ('LTV_ABOVE_MARGIN_CALL', 'INELIGIBLE_COLLATERAL');

-- CreateEnum
CREATE TYPE "MarginCheckStage" AS ENUM ('REVALUATION', 'MARGIN_CHECK');

-- AlterTable
ALTER TABLE "margin_call" ADD COLUMN     "cause" "MarginCallCause" NOT NULL DEFAULT 'LTV_ABOVE_MARGIN_CALL';

-- CreateTable
CREATE TABLE "margin_check_failure" (
    "credit_line_id" UUID NOT NULL,
    "stage" "MarginCheckStage" NOT NULL,
    "error_type" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "first_failed_at" TIMESTAMPTZ(6) NOT NULL,
    "last_failed_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "margin_check_failure_pkey" PRIMARY KEY ("credit_line_id")
);


-- ─── Hand-written ─────────────────────────────────────────────────────────────

ALTER TABLE "margin_check_failure" ADD CONSTRAINT "margin_check_failure_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;
ALTER TABLE "margin_check_failure" ADD CONSTRAINT "margin_check_failure_attempts_positive" CHECK ("attempts" > 0);
ALTER TABLE "margin_check_failure" ADD CONSTRAINT "margin_check_failure_times_ordered" CHECK ("first_failed_at" <= "last_failed_at");
ALTER TABLE "margin_check_failure" ADD CONSTRAINT "margin_check_failure_reason_length" CHECK (length("reason") BETWEEN 1 AND 2000 AND length("error_type") BETWEEN 1 AND 200);

-- Marks and counts may not be dated ahead of now beyond a clock skew of 5 minutes
-- (domain/observation-time.ts; the API refuses them). Defence in depth for rows
-- stored before that rule: valuation ignores a mark dated ahead of its "now", and a
-- count dated ahead of its "now" counts as no count. Price marks are append-only,
-- so a stored future mark stays, dormant until its date; a future last_counted_at
-- is cleared here (the lot falls back to its pledge date and is counted again).
UPDATE "lot" SET "last_counted_at" = NULL WHERE "last_counted_at" > now() + interval '5 minutes';

-- Carries the trust model's WAREHOUSE_NOT_APPROVED reason (20261203000200) forward.
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
           l.count_difference_flag, l.quality_hold,
           -- A count dated ahead of now (beyond the clock skew) is not a count: it would keep the lot counted for ever.
           CASE WHEN l.last_counted_at <= p_now + interval '5 minutes' THEN l.last_counted_at END AS last_counted_at,
           li.pledged_at,
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
           -- A mark dated ahead of now (beyond the clock skew) would outrank every later mark until its date.
           AND pm.as_of <= p_now + interval '5 minutes'
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
