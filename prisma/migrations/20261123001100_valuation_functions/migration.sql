-- The valuation rules of the borrowing base, once, in the database (issue #6: a
-- line's borrowing base was one statement of ~10 CTEs sent as text and planned
-- again on every request; planning cost three times its execution).
--
-- valued_lots(): every lot pledged to the given lines, valued as of p_now. A
-- LANGUAGE sql, STABLE, single-SELECT set-returning function: PostgreSQL inlines
-- it into the statement that calls it, so a caller valuing 1 000 lines gets a plan
-- for its own arguments, exactly as if the CTEs were written out there.
--
-- line_borrowing_base(): one line's totals, outstanding principal, reserved draws
-- and (optionally) a page of the per-lot breakdown in one call. PL/pgSQL keeps
-- the plan of its query for the session, and force_generic_plan makes that plan
-- the only one: the request pays execution, not planning.

CREATE FUNCTION valued_lots(p_line_ids uuid[], p_now timestamptz, p_excluded_lot_id uuid)
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
           l.count_difference_flag, l.quality_hold, l.last_counted_at, li.pledged_at
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
                  THEN 'STOCK_COUNT_OVERDUE' END
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

CREATE FUNCTION line_borrowing_base(
  p_line_id uuid,
  p_now timestamptz,
  p_excluded_lot_id uuid,
  p_with_lots boolean,
  p_after_lot_id uuid,
  p_page_limit integer
)
RETURNS TABLE (
  lot_count bigint,
  eligible_lot_count bigint,
  market_value text,
  collateral_value text,
  eligible_collateral_value text,
  borrowing_base text,
  outstanding_principal text,
  reserved_draws text,
  lots json
)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH computed AS MATERIALIZED (
    SELECT * FROM valued_lots(ARRAY[p_line_id], p_now, p_excluded_lot_id)
  ),
  totals AS (
    SELECT count(*) AS lot_count,
           count(*) FILTER (WHERE eligible) AS eligible_lot_count,
           trim_scale(coalesce(sum(market_value), 0))::text AS market_value,
           trim_scale(coalesce(sum(collateral_value), 0))::text AS collateral_value,
           trim_scale(coalesce(sum(collateral_value) FILTER (WHERE eligible), 0))::text AS eligible_collateral_value,
           trim_scale(coalesce(sum(lending_value), 0))::text AS borrowing_base
      FROM computed
  )
  SELECT totals.lot_count, totals.eligible_lot_count, totals.market_value, totals.collateral_value,
         totals.eligible_collateral_value, totals.borrowing_base,
         -- The line's LOAN_PRINCIPAL balance (zero before the account exists).
         trim_scale(coalesce((SELECT a.balance FROM ledger_account a
                               WHERE a.account_set_id = p_line_id AND a.code = 'LOAN_PRINCIPAL'), 0))::text,
         -- Draws pending approval or approved and not yet disbursed.
         trim_scale(coalesce((SELECT sum(d.amount) FROM draw d
                               WHERE d.credit_line_id = p_line_id AND d.status IN ('REQUESTED', 'APPROVED')), 0))::text,
         CASE WHEN p_with_lots THEN
           (SELECT coalesce(json_agg(json_build_object(
                     'lotId', p.lot_id, 'receiptNumber', p.receipt_number, 'commodityCode', p.commodity_code, 'grade', p.grade,
                     'quantity', trim_scale(p.quantity)::text, 'unit', p.unit,
                     'pricePerUnit', trim_scale(p.price_per_unit)::text,
                     'markAsOf', to_char(p.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                     'advanceRate', trim_scale(p.advance_rate)::text,
                     'marketValue', trim_scale(p.market_value)::text, 'collateralValue', trim_scale(p.collateral_value)::text,
                     'lendingValue', trim_scale(p.lending_value)::text, 'eligible', p.eligible, 'reasons', to_json(p.reasons))
                     ORDER BY p.lot_id), '[]'::json)
              FROM (SELECT * FROM computed
                     WHERE p_after_lot_id IS NULL OR computed.lot_id > p_after_lot_id
                     ORDER BY computed.lot_id LIMIT p_page_limit) p)
         END
    FROM totals;
END
$fn$;
