/**
 * A credit line's figures at the end of each day of a period (UTC), for the
 * console's charts: outstanding principal, borrowing base, LTV, availability.
 *
 * Nothing here is a snapshot taken at the time: every figure is recomputed
 * from the facts Godown keeps, each by the date it carries —
 *   - outstanding principal: the LOAN_PRINCIPAL postings with an effective date on or before the day
 *     (so a back-dated posting restates the days it is dated into, as the statement does);
 *   - pledged lots: liens pledged before the day's end and not released by then;
 *   - each lot's quantity, grade, quality hold, count flag and last count: its append-only
 *     custody events that occurred before the day's end;
 *   - prices: the lender's latest mark (by asOf, then by when posted) dated before the day's end,
 *     stale when older than the line's maximum mark age at that instant;
 *   - goods sold and not yet gone: sales reported before the day's end and neither closed nor
 *     lapsed by then; paid (the buyer's) from paidAt, otherwise valued at the lower of mark and price
 *     on the share unpaid by the buyer's payments recorded by then; what left by then is out of
 *     the lot's quantity already (RELEASED events);
 *   - reserved draws: draws requested before the day's end whose reservation had not ended by then
 *     (disbursed: its entry recorded; refused, rejected or expired: decided).
 * The line's terms (haircut, advance rates, maximum mark age, stock-count interval, approved
 * warehouses, thresholds, concentration limits) are its current terms for every day: the agreed versions
 * (credit_terms_version) are not read here, so after an amendment earlier days are shown under today's
 * terms (the API's description says so).
 * Each day's borrowing base is cut by the concentration limits exactly as today's is (concentrationOf).
 * The same rules as valued_lots() (migration 20261203000400), applied at each day's end.
 */
import { availability, ltv, type LoanToValue } from '../../domain/valuation';
import { D, Money } from '../../domain/money';
import type { Decimal } from 'decimal.js';
import { hasConcentrationLimits, type ConcentrationLimits } from '../../domain/concentration';
import { Prisma, type Db } from '../client';
import { concentrationOf } from '../custody/valuation';

/** The longest period one request may ask for. */
export const LINE_HISTORY_DAYS_MAX = 366;

export interface LineDayFigures {
  /** YYYY-MM-DD (UTC); the figures hold at the end of this day. */
  date: string;
  outstandingPrincipal: Money;
  eligibleCollateralValue: Decimal;
  borrowingBase: Money;
  reservedDraws: Money;
  availability: Money;
  loanToValue: LoanToValue;
}

interface DayRow {
  day: string;
  outstanding_principal: string;
  eligible_collateral_value: string;
  borrowing_base: string;
  reserved_draws: string;
}

/** The valuation of each pledged lot at the end of each day: the CTEs up to `valued` (one row per day and lot). */
function valuedDaysSql(lineId: string, period: { from: string; to: string }): Prisma.Sql {
  return Prisma.sql`
    WITH line AS MATERIALIZED (
      SELECT id, lender_organisation_id, currency, haircut, default_advance_rate, max_mark_age_hours, stock_count_interval_days
        FROM credit_line WHERE id = ${lineId}::uuid
    ),
    days AS MATERIALIZED (
      SELECT d::date AS day, (d::date + 1)::timestamp AT TIME ZONE 'UTC' AS day_end
        FROM generate_series(${period.from}::date, ${period.to}::date, interval '1 day') AS d
    ),
    pledged AS MATERIALIZED (
      SELECT days.day, days.day_end, li.lot_id, li.pledged_at, l.warehouse_id, l.commodity_code, l.grade AS grade_now
        FROM days
        JOIN lien li ON li.credit_line_id = ${lineId}::uuid AND li.pledged_at < days.day_end
                    AND (li.released_at IS NULL OR li.released_at >= days.day_end)
        JOIN lot l ON l.id = li.lot_id
    ),
    lot_at AS MATERIALIZED (
      SELECT p.day, p.day_end, p.lot_id, p.pledged_at, p.warehouse_id, p.commodity_code,
             coalesce(held.quantity_after, 0) AS quantity,
             coalesce(inspected.grade_after, next_inspected.grade_before, p.grade_now) AS grade,
             coalesce(inspected.quality_hold, false) AS quality_hold,
             coalesce(counted.flagged, false) AS count_difference_flag,
             counted.occurred_at AS last_counted_at
        FROM pledged p
        LEFT JOIN LATERAL (
          SELECT e.quantity_after FROM custody_event e
           WHERE e.lot_id = p.lot_id AND e.occurred_at < p.day_end ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1) held ON true
        LEFT JOIN LATERAL (
          SELECT e.details->>'gradeAfter' AS grade_after, (e.details->>'qualityHold')::boolean AS quality_hold FROM custody_event e
           WHERE e.lot_id = p.lot_id AND e.type = 'INSPECTED' AND e.occurred_at < p.day_end ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1) inspected ON true
        LEFT JOIN LATERAL (
          SELECT e.details->>'gradeBefore' AS grade_before FROM custody_event e
           WHERE e.lot_id = p.lot_id AND e.type = 'INSPECTED' AND e.occurred_at >= p.day_end ORDER BY e.occurred_at, e.seq LIMIT 1) next_inspected ON true
        LEFT JOIN LATERAL (
          SELECT (e.details->>'flagged')::boolean AS flagged, e.occurred_at FROM custody_event e
           WHERE e.lot_id = p.lot_id AND e.type = 'COUNTED' AND e.occurred_at < p.day_end ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1) counted ON true
    ),
    marked AS MATERIALIZED (
      SELECT la.*, m.price_per_unit, m.as_of
        FROM lot_at la
        CROSS JOIN line
        LEFT JOIN LATERAL (
          SELECT pm.price_per_unit, pm.as_of FROM price_mark pm
           WHERE pm.lender_organisation_id = line.lender_organisation_id AND pm.commodity_code = la.commodity_code
             AND pm.grade = la.grade AND pm.currency = line.currency AND pm.as_of < la.day_end
           ORDER BY pm.as_of DESC, pm.created_at DESC LIMIT 1) m ON true
    ),
    sold AS (
      SELECT mk.day, mk.lot_id,
             sum(si.quantity - coalesce(released.quantity, 0)) AS sold_quantity,
             coalesce(sum(si.quantity * (s.total_price - coalesce(paid.amount, 0)) * least(si.price_per_unit, mk.price_per_unit) / s.total_price)
                      FILTER (WHERE s.paid_at IS NULL OR s.paid_at >= mk.day_end), 0) AS sold_unpaid_value
        FROM marked mk
        JOIN sale_item si ON si.lot_id = mk.lot_id
        JOIN sale s ON s.id = si.sale_id AND s.created_at < mk.day_end
                   AND (s.closed_at IS NULL OR s.closed_at >= mk.day_end) AND (s.lapsed_at IS NULL OR s.lapsed_at >= mk.day_end)
        LEFT JOIN LATERAL (
          SELECT sum((e.details->>'quantity')::numeric) AS quantity FROM custody_event e
           WHERE e.lot_id = si.lot_id AND e.type = 'RELEASED' AND e.details->>'releaseOrderId' = si.release_order_id::text
             AND e.occurred_at < mk.day_end) released ON true
        LEFT JOIN LATERAL (
          SELECT sum(r.amount) AS amount FROM repayment r WHERE r.sale_id = s.id AND r.created_at < mk.day_end) paid ON true
       GROUP BY mk.day, mk.lot_id
    ),
    valued AS (
      SELECT mk.day, mk.lot_id, mk.commodity_code, mk.warehouse_id,
             CASE WHEN mk.price_per_unit IS NULL THEN NULL
                  ELSE (mk.quantity - coalesce(sold.sold_quantity, 0)) * mk.price_per_unit + coalesce(sold.sold_unpaid_value, 0) END AS secured_value,
             coalesce(ar.advance_rate, line.default_advance_rate) AS advance_rate,
             line.haircut,
             mk.price_per_unit IS NOT NULL
               AND mk.as_of >= mk.day_end - line.max_mark_age_hours * interval '1 hour'
               AND NOT mk.count_difference_flag
               AND NOT mk.quality_hold
               AND coalesce(mk.last_counted_at, mk.pledged_at) >= mk.day_end - line.stock_count_interval_days * interval '24 hours'
               AND EXISTS (SELECT 1 FROM credit_line_approved_warehouse aw WHERE aw.credit_line_id = line.id AND aw.warehouse_id = mk.warehouse_id)
               AS eligible
        FROM marked mk
        CROSS JOIN line
        LEFT JOIN credit_line_advance_rate ar ON ar.credit_line_id = line.id AND ar.commodity_code = mk.commodity_code
        LEFT JOIN sold ON sold.day = mk.day AND sold.lot_id = mk.lot_id
    )`;
}

/** The line's figures at the end of every day from `from` to `to` (YYYY-MM-DD, inclusive, at most LINE_HISTORY_DAYS_MAX days). */
export async function lineHistory(
  db: Db,
  line: { id: string; currency: string; limit: Money; concentrationLimits: ConcentrationLimits },
  period: { from: string; to: string },
): Promise<LineDayFigures[]> {
  const valued = valuedDaysSql(line.id, period);
  const cuts = await concentrationByDay(db, line, valued);
  const rows = await db.$queryRaw<DayRow[]>`
    ${valued},
    collateral AS (
      SELECT day,
             coalesce(sum(secured_value * (1 - haircut)) FILTER (WHERE eligible), 0) AS eligible_collateral_value,
             coalesce(sum(secured_value * (1 - haircut) * advance_rate) FILTER (WHERE eligible), 0) AS borrowing_base
        FROM valued GROUP BY day
    )
    SELECT to_char(days.day, 'YYYY-MM-DD') AS day,
           coalesce((
             SELECT sum(ledger_signed_amount(a.normal_balance, jl.side, jl.amount))
               FROM ledger_account a
               JOIN journal_line jl ON jl.account_id = a.id
               JOIN journal_entry je ON je.id = jl.entry_id
              WHERE a.account_set_id = ${line.id}::uuid AND a.code = 'LOAN_PRINCIPAL' AND je.effective_date <= days.day), 0)::text AS outstanding_principal,
           coalesce(c.eligible_collateral_value, 0)::text AS eligible_collateral_value,
           coalesce(c.borrowing_base, 0)::text AS borrowing_base,
           coalesce((
             SELECT sum(dr.amount) FROM draw dr
               LEFT JOIN journal_entry disbursed ON disbursed.id = dr.disbursement_entry_id
              WHERE dr.credit_line_id = ${line.id}::uuid AND dr.created_at < days.day_end
                AND NOT (dr.status = 'DISBURSED' AND coalesce(disbursed.recorded_at, dr.updated_at) < days.day_end)
                AND NOT (dr.status IN ('REJECTED', 'EXPIRED', 'REFUSED') AND coalesce(dr.decided_at, dr.updated_at) < days.day_end)), 0)::text AS reserved_draws
      FROM days LEFT JOIN collateral c ON c.day = days.day
     ORDER BY days.day`;
  return rows.map((row) => {
    const cut = cuts.get(row.day);
    const outstandingPrincipal = Money.of(row.outstanding_principal, line.currency);
    const borrowingBase = Money.of(new D(row.borrowing_base).minus(cut?.lendingExcess ?? 0), line.currency);
    const reservedDraws = Money.of(row.reserved_draws, line.currency);
    const eligibleCollateralValue = new D(row.eligible_collateral_value).minus(cut?.collateralExcess ?? 0);
    return {
      date: row.day,
      outstandingPrincipal,
      eligibleCollateralValue,
      borrowingBase,
      reservedDraws,
      availability: availability({ limit: line.limit, borrowingBase, outstandingPrincipal, reservedDraws }),
      loanToValue: ltv({ outstandingPrincipal, collateralValue: Money.of(eligibleCollateralValue, line.currency) }),
    };
  });
}

/** Each day's cut of the line's concentration limits (the same rule as today's borrowing base, prisma/custody/valuation.ts); none without limits. */
async function concentrationByDay(db: Db, line: { concentrationLimits: ConcentrationLimits }, valued: Prisma.Sql) {
  const cuts = new Map<string, ReturnType<typeof concentrationOf>>();
  if (!hasConcentrationLimits(line.concentrationLimits)) return cuts;
  const rows = await db.$queryRaw<{ day: string; lot_id: string; commodity_code: string; warehouse_id: string; lending_value: string; collateral_value: string }[]>`
    ${valued}
    SELECT to_char(day, 'YYYY-MM-DD') AS day, lot_id::text AS lot_id, commodity_code, warehouse_id::text AS warehouse_id,
           trim_scale(secured_value * (1 - haircut) * advance_rate)::text AS lending_value, trim_scale(secured_value * (1 - haircut))::text AS collateral_value
      FROM valued
     WHERE eligible AND secured_value * (1 - haircut) * advance_rate > 0
     ORDER BY day, lot_id`;
  const byDay = new Map<string, typeof rows>();
  for (const row of rows) {
    const lots = byDay.get(row.day);
    if (lots) lots.push(row);
    else byDay.set(row.day, [row]);
  }
  for (const [day, lots] of byDay) cuts.set(day, concentrationOf(lots, line.concentrationLimits));
  return cuts;
}
