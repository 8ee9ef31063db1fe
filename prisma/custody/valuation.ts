/**
 * Price marks and the borrowing base of a credit line.
 *
 * The borrowing base is computed by ONE SQL statement: the line's active liens
 * → their lots → the latest mark (by asOf, then by when it was posted) of the
 * line's lender for each pledged (commodity, grade) in the line currency →
 * the line's terms. NUMERIC arithmetic is exact, so the per-lot figures equal
 * domain/valuation.ts's on the same inputs (the tests check this). Totals and
 * one page of the per-lot breakdown come back in the same round trip.
 */
import type { Decimal } from 'decimal.js';
import type { IneligibilityReason } from '../../domain/valuation';
import { availability, ltv, type LoanToValue } from '../../domain/valuation';
import { ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { D, Money, isCurrency } from '../../domain/money';
import { recordAudit } from '../audit/store';
import { Prisma, type Db } from '../client';
import type { CreditLine, PriceMark } from '../generated/client';
import { balances } from '../ledger/store';
import { requireActingRole, type CustodyActor } from './access';
import { requireCommodityGrade } from './store';

export const PRICE_MARKS_PAGE_MAX = 200;
export const BORROWING_BASE_LOTS_PAGE_MAX = 1000;
/** The ledger account (in the line's account set) whose balance is the outstanding principal. */
export const LOAN_PRINCIPAL_ACCOUNT_CODE = 'LOAN_PRINCIPAL';

// ─── Price marks ─────────────────────────────────────────────────────────────

export interface PostPriceMarkInput {
  commodityCode: string;
  grade: string;
  currency: string;
  pricePerUnit: Decimal;
  source: string;
  asOf: Date;
}

/** Posted by a lender's user (a price-feed user is an OPERATOR of the lender); history is append-only. */
export async function postPriceMark(db: Db, actor: CustodyActor, input: PostPriceMarkInput): Promise<PriceMark> {
  if (actor.organisationKind !== 'LENDER') throw new ForbiddenError('price marks are posted by a lender (or its price-feed user)');
  requireActingRole(actor, 'post price marks');
  if (!isCurrency(input.currency)) throw new ValidationError('body.currency', `"${input.currency}" is not a supported ISO 4217 currency`);
  await requireCommodityGrade(db, input.commodityCode, input.grade);
  const mark = await db.priceMark.create({
    data: {
      lenderOrganisationId: actor.organisationId,
      commodityCode: input.commodityCode,
      grade: input.grade,
      currency: input.currency,
      pricePerUnit: input.pricePerUnit.toFixed(),
      source: input.source,
      asOf: input.asOf,
      postedByUserId: actor.userId,
    },
  });
  await recordAudit(db, actor, {
    action: 'valuation.price_mark.posted',
    targetType: 'price_mark',
    targetId: mark.id,
    after: { commodityCode: input.commodityCode, grade: input.grade, currency: input.currency, pricePerUnit: input.pricePerUnit.toFixed(), source: input.source, asOf: input.asOf.toISOString() },
  });
  return mark;
}

/** The lender's own marks, newest asOf first. */
export async function listPriceMarks(
  db: Db,
  actor: CustodyActor,
  filter: { commodityCode?: string; grade?: string; currency?: string; beforeId?: { asOf: Date; id: string } | null; limit: number },
): Promise<PriceMark[]> {
  if (actor.organisationKind !== 'LENDER') return [];
  return db.priceMark.findMany({
    where: {
      lenderOrganisationId: actor.organisationId,
      ...(filter.commodityCode ? { commodityCode: filter.commodityCode } : {}),
      ...(filter.grade ? { grade: filter.grade } : {}),
      ...(filter.currency ? { currency: filter.currency } : {}),
      ...(filter.beforeId
        ? { OR: [{ asOf: { lt: filter.beforeId.asOf } }, { asOf: filter.beforeId.asOf, id: { lt: filter.beforeId.id } }] }
        : {}),
    },
    orderBy: [{ asOf: 'desc' }, { id: 'desc' }],
    take: Math.min(filter.limit, PRICE_MARKS_PAGE_MAX),
  });
}

// ─── Borrowing base ──────────────────────────────────────────────────────────

export interface LotValuationRow {
  lotId: string;
  receiptNumber: string;
  commodityCode: string;
  grade: string;
  quantity: string;
  unit: string;
  pricePerUnit: string | null;
  markAsOf: string | null;
  advanceRate: string;
  marketValue: string;
  collateralValue: string;
  lendingValue: string;
  eligible: boolean;
  reasons: IneligibilityReason[];
}

export interface BorrowingBaseTotals {
  lotCount: number;
  eligibleLotCount: number;
  marketValue: Decimal;
  collateralValue: Decimal;
  eligibleCollateralValue: Decimal;
  borrowingBase: Decimal;
}

interface BorrowingBaseRow {
  lot_count: bigint;
  eligible_lot_count: bigint;
  market_value: string;
  collateral_value: string;
  eligible_collateral_value: string;
  borrowing_base: string;
  lots: LotValuationRow[] | null;
}

/**
 * One statement for totals and (unless `lotsPage` is null) one page of lots by
 * id. `excludeLotId` values the line as if that lot were unpledged.
 */
export async function borrowingBaseQuery(
  db: Db,
  input: { lineId: string; now: Date; excludeLotId?: string | null; lotsPage: { afterLotId: string | null; limit: number } | null },
): Promise<{ totals: BorrowingBaseTotals; lots: LotValuationRow[] | null }> {
  const page = input.lotsPage;
  const pageLimit = page ? Math.min(page.limit, BORROWING_BASE_LOTS_PAGE_MAX) : 0;
  const lotsSelect = page
    ? Prisma.sql`(SELECT coalesce(json_agg(json_build_object(
          'lotId', p.lot_id, 'receiptNumber', p.receipt_number, 'commodityCode', p.commodity_code, 'grade', p.grade,
          'quantity', trim_scale(p.quantity)::text, 'unit', p.unit,
          'pricePerUnit', trim_scale(p.price_per_unit)::text,
          'markAsOf', to_char(p.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'advanceRate', trim_scale(p.advance_rate)::text,
          'marketValue', trim_scale(p.market_value)::text, 'collateralValue', trim_scale(p.collateral_value)::text,
          'lendingValue', trim_scale(p.lending_value)::text, 'eligible', p.eligible, 'reasons', to_json(p.reasons)) ORDER BY p.lot_id), '[]'::json)
        FROM (SELECT * FROM computed
               WHERE ${page.afterLotId}::uuid IS NULL OR lot_id > ${page.afterLotId}::uuid
               ORDER BY lot_id LIMIT ${pageLimit}) p)`
    : Prisma.sql`NULL::json`;
  const rows = await db.$queryRaw<BorrowingBaseRow[]>(Prisma.sql`
    ${valuedLotsCtes(Prisma.sql`id = ${input.lineId}::uuid`, input.now, input.excludeLotId ?? null, page !== null)},
    totals AS (
      SELECT count(*) AS lot_count,
             count(*) FILTER (WHERE eligible) AS eligible_lot_count,
             trim_scale(coalesce(sum(market_value), 0))::text AS market_value,
             trim_scale(coalesce(sum(collateral_value), 0))::text AS collateral_value,
             trim_scale(coalesce(sum(collateral_value) FILTER (WHERE eligible), 0))::text AS eligible_collateral_value,
             trim_scale(coalesce(sum(lending_value), 0))::text AS borrowing_base
        FROM computed
    )
    SELECT totals.*, ${lotsSelect} AS lots FROM totals`);
  const row = rows[0];
  return {
    totals: {
      lotCount: Number(row.lot_count),
      eligibleLotCount: Number(row.eligible_lot_count),
      marketValue: new D(row.market_value),
      collateralValue: new D(row.collateral_value),
      eligibleCollateralValue: new D(row.eligible_collateral_value),
      borrowingBase: new D(row.borrowing_base),
    },
    lots: row.lots,
  };
}

/**
 * The valuation of every lot pledged to the lines `lineCondition` selects (a
 * condition on credit_line), as CTEs ending in `computed` (one row per lot,
 * with its `credit_line_id`). The single line's borrowing base and the
 * set-based revaluation of many lines read the same CTEs, so they cannot
 * disagree on a rule.
 */
function valuedLotsCtes(lineCondition: Prisma.Sql, now: Date, excludeLotId: string | null, computedReadTwice: boolean): Prisma.Sql {
  // Read twice (totals and a page of lots) it is computed once; read once (totals by line) it streams into the
  // aggregate instead of being written out, 100 000 wide rows at a time.
  const computedAs = computedReadTwice ? Prisma.sql`MATERIALIZED` : Prisma.sql`NOT MATERIALIZED`;
  return Prisma.sql`
    WITH line AS MATERIALIZED (
      SELECT id, lender_organisation_id, currency, haircut, default_advance_rate, max_mark_age_hours, stock_count_interval_days
        FROM credit_line WHERE ${lineCondition}
    ),
    pledged AS MATERIALIZED (
      SELECT li.credit_line_id, l.id AS lot_id, l.receipt_number, l.commodity_code, l.grade, l.quantity, l.unit,
             l.count_difference_flag, l.quality_hold, l.last_counted_at, li.pledged_at
        FROM line
        JOIN lien li ON li.credit_line_id = line.id AND li.released_at IS NULL
        JOIN lot l ON l.id = li.lot_id
       WHERE ${excludeLotId}::uuid IS NULL OR l.id <> ${excludeLotId}::uuid
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
               CASE WHEN m.as_of < ${now}::timestamptz - line.max_mark_age_hours * interval '1 hour' THEN 'MARK_STALE' END,
               CASE WHEN p.count_difference_flag THEN 'COUNT_DIFFERENCE_FLAG' END,
               CASE WHEN p.quality_hold THEN 'QUALITY_HOLD' END,
               CASE WHEN coalesce(p.last_counted_at, p.pledged_at) < ${now}::timestamptz - line.stock_count_interval_days * interval '24 hours'
                    THEN 'STOCK_COUNT_OVERDUE' END
             ], NULL) AS reasons
        FROM pledged p
        JOIN line ON line.id = p.credit_line_id
        LEFT JOIN latest_mark m ON m.lender_organisation_id = line.lender_organisation_id AND m.currency = line.currency
                               AND m.commodity_code = p.commodity_code AND m.grade = p.grade
        LEFT JOIN credit_line_advance_rate ar ON ar.credit_line_id = line.id AND ar.commodity_code = p.commodity_code
        LEFT JOIN sold ON sold.lot_id = p.lot_id
    ),
    computed AS ${computedAs} (
      SELECT v.*, cardinality(v.reasons) = 0 AS eligible,
             coalesce(v.secured_value, 0) AS market_value,
             coalesce(v.secured_value * (1 - v.haircut), 0) AS collateral_value,
             CASE WHEN cardinality(v.reasons) = 0 THEN v.secured_value * (1 - v.haircut) * v.advance_rate ELSE 0 END AS lending_value
        FROM (SELECT valued.*,
                     -- Without a mark the value is NULL (least() would otherwise ignore the missing mark).
                     CASE WHEN price_per_unit IS NULL THEN NULL
                          ELSE (quantity - sold_quantity) * price_per_unit + sold_unpaid_value END AS secured_value
                FROM valued) v
    )`;
}

/** A line's figures from the set-based revaluation: the borrowing base totals and what it owes and has reserved. */
export interface LineTotals {
  lineId: string;
  totals: BorrowingBaseTotals;
  outstandingPrincipal: Decimal;
  reservedDraws: Decimal;
}

/** Lines valued in one statement at most (a mark's lines come in pages of this size). */
export const LINES_TOTALS_BATCH_MAX = 10_000;

interface LineTotalsRow {
  line_id: string;
  lot_count: bigint;
  eligible_lot_count: bigint;
  market_value: string;
  collateral_value: string;
  eligible_collateral_value: string;
  borrowing_base: string;
  outstanding_principal: string;
  reserved_draws: string;
}

/**
 * The borrowing base totals of many lines in ONE statement (the same CTEs as
 * borrowingBaseQuery, grouped by line), with each line's outstanding principal
 * (its LOAN_PRINCIPAL balance) and reserved draws: what a price mark needs to
 * revalue every line it touches without a round trip per line. Lines that do
 * not exist are left out.
 */
export async function borrowingBaseTotalsOfLines(db: Db, input: { lineIds: readonly string[]; now: Date }): Promise<LineTotals[]> {
  if (input.lineIds.length === 0) return [];
  if (input.lineIds.length > LINES_TOTALS_BATCH_MAX) {
    throw new ValidationError('lineIds', `at most ${LINES_TOTALS_BATCH_MAX} lines are valued in one statement; got ${input.lineIds.length}`);
  }
  const rows = await db.$queryRaw<LineTotalsRow[]>(borrowingBaseTotalsOfLinesSql(input));
  return rows.map((row) => ({
    lineId: row.line_id,
    totals: {
      lotCount: Number(row.lot_count),
      eligibleLotCount: Number(row.eligible_lot_count),
      marketValue: new D(row.market_value),
      collateralValue: new D(row.collateral_value),
      eligibleCollateralValue: new D(row.eligible_collateral_value),
      borrowingBase: new D(row.borrowing_base),
    },
    outstandingPrincipal: new D(row.outstanding_principal),
    reservedDraws: new D(row.reserved_draws),
  }));
}

/** The statement of borrowingBaseTotalsOfLines (exported for EXPLAIN ANALYZE in bench/revaluation.ts). */
export function borrowingBaseTotalsOfLinesSql(input: { lineIds: readonly string[]; now: Date }): Prisma.Sql {
  return Prisma.sql`
    ${valuedLotsCtes(Prisma.sql`id = ANY(${[...input.lineIds]}::uuid[])`, input.now, null, false)},
    totals AS (
      SELECT credit_line_id,
             count(*) AS lot_count,
             count(*) FILTER (WHERE eligible) AS eligible_lot_count,
             sum(market_value) AS market_value,
             sum(collateral_value) AS collateral_value,
             sum(collateral_value) FILTER (WHERE eligible) AS eligible_collateral_value,
             sum(lending_value) AS borrowing_base
        FROM computed
       GROUP BY credit_line_id
    ),
    reserved AS (
      SELECT d.credit_line_id, sum(d.amount) AS reserved_draws
        FROM draw d JOIN line ON line.id = d.credit_line_id
       WHERE d.status IN ('REQUESTED', 'APPROVED')
       GROUP BY d.credit_line_id
    )
    SELECT line.id::text AS line_id,
           coalesce(t.lot_count, 0) AS lot_count,
           coalesce(t.eligible_lot_count, 0) AS eligible_lot_count,
           trim_scale(coalesce(t.market_value, 0))::text AS market_value,
           trim_scale(coalesce(t.collateral_value, 0))::text AS collateral_value,
           trim_scale(coalesce(t.eligible_collateral_value, 0))::text AS eligible_collateral_value,
           trim_scale(coalesce(t.borrowing_base, 0))::text AS borrowing_base,
           trim_scale(coalesce(a.balance, 0))::text AS outstanding_principal,
           trim_scale(coalesce(r.reserved_draws, 0))::text AS reserved_draws
      FROM line
      LEFT JOIN totals t ON t.credit_line_id = line.id
      LEFT JOIN reserved r ON r.credit_line_id = line.id
      LEFT JOIN ledger_account a ON a.account_set_id = line.id AND a.code = ${LOAN_PRINCIPAL_ACCOUNT_CODE}
     ORDER BY line.id`;
}

/** Outstanding principal of a line: the LOAN_PRINCIPAL balance of its ledger account set (zero before any account exists). */
export async function outstandingPrincipalOf(db: Db, line: Pick<CreditLine, 'id' | 'currency'>): Promise<Money> {
  const accounts = await balances(db, { accountSetId: line.id });
  const principal = accounts.find((account) => account.code === LOAN_PRINCIPAL_ACCOUNT_CODE);
  return principal ? Money.of(principal.balance.amount, line.currency) : Money.zero(line.currency);
}

/** Draws that are approved-not-disbursed or pending approval: Σ amount of REQUESTED and APPROVED draws. */
export async function reservedDrawsOf(db: Db, line: Pick<CreditLine, 'id' | 'currency'>): Promise<Money> {
  const [row] = await db.$queryRaw<{ reserved: string }[]>`
    SELECT trim_scale(coalesce(sum(amount), 0))::text AS reserved FROM draw
     WHERE credit_line_id = ${line.id}::uuid AND status IN ('REQUESTED', 'APPROVED')`;
  return Money.of(row.reserved, line.currency);
}

export interface LinePosition {
  line: CreditLine;
  totals: BorrowingBaseTotals;
  lots: LotValuationRow[] | null;
  limit: Money;
  outstandingPrincipal: Money;
  reservedDraws: Money;
  availability: Money;
  loanToValue: LoanToValue;
}

/** The line's borrowing base, availability and LTV as of `now` (line must exist). */
export async function linePosition(
  db: Db,
  line: CreditLine,
  options: { now: Date; excludeLotId?: string | null; lotsPage: { afterLotId: string | null; limit: number } | null },
): Promise<LinePosition> {
  const { totals, lots } = await borrowingBaseQuery(db, { lineId: line.id, ...options });
  const currency = line.currency;
  const limit = Money.of(line.limitAmount.toString(), currency);
  const outstandingPrincipal = await outstandingPrincipalOf(db, line);
  const reservedDraws = await reservedDrawsOf(db, line);
  const base = Money.of(totals.borrowingBase, currency);
  return {
    line,
    totals,
    lots,
    limit,
    outstandingPrincipal,
    reservedDraws,
    availability: availability({ limit, borrowingBase: base, outstandingPrincipal, reservedDraws }),
    loanToValue: ltv({ outstandingPrincipal, collateralValue: Money.of(totals.eligibleCollateralValue, currency) }),
  };
}

/** A line is visible to its lender and its seller; to anyone else it does not exist. */
export async function visibleCreditLine(db: Db, actor: CustodyActor, lineId: string): Promise<CreditLine> {
  const line = await db.creditLine.findUnique({ where: { id: lineId } });
  if (!line || (line.lenderOrganisationId !== actor.organisationId && line.sellerOrganisationId !== actor.organisationId)) {
    throw new NotFoundError('credit line', lineId);
  }
  return line;
}
