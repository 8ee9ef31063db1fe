/**
 * Price marks and the borrowing base of a credit line.
 *
 * The valuation rules live in one place, the SQL function valued_lots()
 * (migration 20261123001100_valuation_functions): the lines' active liens →
 * their lots → the latest mark (by asOf, then by when it was posted) of the
 * line's lender for each pledged (commodity, grade) in the line currency →
 * the line's terms. NUMERIC arithmetic is exact, so the per-lot figures equal
 * domain/valuation.ts's on the same inputs (the tests check this). One line's
 * figures come from line_borrowing_base() in one round trip on a cached plan;
 * many lines' from one statement that valued_lots() is inlined into.
 */
import type { Decimal } from 'decimal.js';
import type { IneligibilityReason } from '../../domain/valuation';
import { isMatured } from '../../domain/delinquency';
import { utcDay } from '../../domain/value-dates';
import { applyConcentrationLimits, hasConcentrationLimits, type ConcentrationLimits, type ConcentrationReason } from '../../domain/concentration';
import { availability, ltv, noAvailabilityReason, type LoanToValue, type NoAvailabilityReason } from '../../domain/valuation';
import { ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { D, Money, isCurrency } from '../../domain/money';
import { requireObservedByNow } from '../../domain/observation-time';
import { recordEvent } from '../events/store';
import { recordAudit } from '../audit/store';
import { Prisma, type Db } from '../client';
import type { CreditLine, PriceMark } from '../generated/client';
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
  /** The unit the price was sent per (`body.pricePerUnit.unit`), checked to be the commodity's. */
  unit?: string;
  source: string;
  asOf: Date;
}

/** A mark with the unit of its commodity, which its price is per. */
export type PriceMarkWithUnit = PriceMark & { unit: string };

/**
 * Posted by a lender's user (a price-feed user is an OPERATOR of the lender); history is append-only.
 * `asOf` may not be ahead of `now` beyond the clock skew (domain/observation-time.ts).
 */
export async function postPriceMark(db: Db, actor: CustodyActor, input: PostPriceMarkInput, now: Date): Promise<PriceMarkWithUnit> {
  if (actor.organisationKind !== 'LENDER') throw new ForbiddenError('price marks are posted by a lender (or its price-feed user)');
  requireActingRole(actor, 'post price marks');
  if (!isCurrency(input.currency)) throw new ValidationError('body.currency', `"${input.currency}" is not a supported ISO 4217 currency`);
  requireObservedByNow('body.asOf', input.asOf, now);
  const commodity = await requireCommodityGrade(db, input.commodityCode, input.grade);
  if (input.unit !== undefined && input.unit !== commodity.unit) throw new ValidationError('body.pricePerUnit.unit', `is ${input.unit}; ${commodity.code} is priced per ${commodity.unit}`);
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
  // A lender's marks are its own: the lines they revalue tell their sellers through margin events.
  await recordEvent(db, 'price_mark.posted', {
    subjectId: mark.id,
    parties: [actor.organisationId],
    requestId: actor.requestId,
    data: {
      priceMarkId: mark.id,
      commodityCode: mark.commodityCode,
      grade: mark.grade,
      pricePerUnit: { amount: mark.pricePerUnit.toFixed(), currency: mark.currency, unit: commodity.unit },
      source: mark.source,
      asOf: mark.asOf.toISOString(),
    },
  });
  return { ...mark, unit: commodity.unit };
}

/** The lender's own marks, newest asOf first. */
export async function listPriceMarks(
  db: Db,
  actor: CustodyActor,
  filter: { commodityCode?: string; grade?: string; currency?: string; asOf?: { gte?: Date; lt?: Date }; beforeId?: { asOf: Date; id: string } | null; limit: number },
): Promise<PriceMarkWithUnit[]> {
  if (actor.organisationKind !== 'LENDER') return [];
  const marks = await db.priceMark.findMany({
    where: {
      lenderOrganisationId: actor.organisationId,
      ...(filter.commodityCode ? { commodityCode: filter.commodityCode } : {}),
      ...(filter.grade ? { grade: filter.grade } : {}),
      ...(filter.currency ? { currency: filter.currency } : {}),
      ...(filter.asOf ? { asOf: filter.asOf } : {}),
      ...(filter.beforeId
        ? { OR: [{ asOf: { lt: filter.beforeId.asOf } }, { asOf: filter.beforeId.asOf, id: { lt: filter.beforeId.id } }] }
        : {}),
    },
    orderBy: [{ asOf: 'desc' }, { id: 'desc' }],
    take: Math.min(filter.limit, PRICE_MARKS_PAGE_MAX),
  });
  const commodities = await db.commodity.findMany({ where: { code: { in: [...new Set(marks.map((mark) => mark.commodityCode))] } }, select: { code: true, unit: true } });
  const unitOf = new Map(commodities.map((commodity) => [commodity.code, commodity.unit]));
  return marks.map((mark) => ({ ...mark, unit: unitOf.get(mark.commodityCode)! }));
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
  reasons: (IneligibilityReason | ConcentrationReason)[];
  /** Lending value the line's concentration limits cut (domain/concentration.ts); lendingValue is what is left. */
  concentrationExcess: string;
}

export interface BorrowingBaseTotals {
  lotCount: number;
  eligibleLotCount: number;
  marketValue: Decimal;
  collateralValue: Decimal;
  eligibleCollateralValue: Decimal;
  borrowingBase: Decimal;
  /** Σ lending value cut by the concentration limits: borrowingBase is after it. */
  concentrationExcess: Decimal;
}

/** A line's totals, principal and reservations as line_borrowing_base() and the set-based statement answer them. */
interface FiguresRow {
  lot_count: bigint;
  eligible_lot_count: bigint;
  market_value: string;
  collateral_value: string;
  eligible_collateral_value: string;
  borrowing_base: string;
  outstanding_principal: string;
  reserved_draws: string;
}

interface BorrowingBaseRow extends FiguresRow {
  lots: Omit<LotValuationRow, 'concentrationExcess'>[] | null;
}

export interface BorrowingBaseFigures {
  totals: BorrowingBaseTotals;
  lots: LotValuationRow[] | null;
  /** The line's LOAN_PRINCIPAL balance (zero before the account exists). */
  outstandingPrincipal: Decimal;
  /** Σ amount of its REQUESTED and APPROVED draws. */
  reservedDraws: Decimal;
}

/**
 * One call for the line's totals, outstanding principal, reserved draws and
 * (unless `lotsPage` is null) one page of lots by id: line_borrowing_base()
 * (migration 20261123001100_valuation_functions), whose plan PostgreSQL keeps
 * for the session. `excludeLotId` values the line as if that lot were unpledged.
 */
export async function borrowingBaseQuery(
  db: Db,
  input: { lineId: string; now: Date; excludeLotId?: string | null; lotsPage: { afterLotId: string | null; limit: number } | null },
): Promise<BorrowingBaseFigures> {
  const rows = await db.$queryRaw<(BorrowingBaseRow & LimitColumns)[]>`
    SELECT ${LIMIT_COLUMNS}, bb.*
      FROM credit_line cl
     CROSS JOIN LATERAL ${lineBorrowingBaseCall(Prisma.sql`cl.id`, input)} bb
     WHERE cl.id = ${input.lineId}::uuid`;
  const row = rows[0];
  if (!row) throw new NotFoundError('credit line', input.lineId);
  const cuts = await concentrationCuts(db, [{ lineId: input.lineId, limits: limitsOfTextColumns(row) }], input);
  return withConcentration(borrowingBaseFiguresOf(row), cuts.get(input.lineId) ?? null);
}

// ─── Concentration limits ────────────────────────────────────────────────────
//
// The one place the cut of domain/concentration.ts meets the valuation: every
// reader of a borrowing base (the borrowing-base endpoint, draws and coverage
// through linePosition, margin and revaluation through borrowingBaseTotalsOfLines,
// the portfolio's exposure) takes its figures through withConcentration or
// concentratedTotals, so they all see the same cut figure.

/** What the concentration limits cut of one line's valuation. */
export interface LineConcentration {
  /** Σ lending value cut. */
  lendingExcess: Decimal;
  /** Σ collateral value of what was cut: out of the eligible collateral value, the denominator of LTV. */
  collateralExcess: Decimal;
  /** Lots cut to nothing: no longer eligible. */
  lotsCutToNothing: number;
  lots: Map<string, { commodityCode: string; warehouseId: string; lendingValue: Decimal; excess: Decimal; collateralExcess: Decimal; reasons: ConcentrationReason[] }>;
}

interface EligibleLotRow {
  line_id: string;
  lot_id: string;
  commodity_code: string;
  warehouse_id: string;
  lending_value: string;
  collateral_value: string;
}

/**
 * The cut of each line that has concentration limits (lines without are left
 * out of the answer, and cost no query). The eligible lots come from the same
 * valued_lots() as the totals, in one statement for all the lines.
 */
export async function concentrationCuts(
  db: Db,
  lines: readonly { lineId: string; limits: ConcentrationLimits }[],
  input: { now: Date; excludeLotId?: string | null },
): Promise<Map<string, LineConcentration>> {
  const limited = lines.filter((line) => hasConcentrationLimits(line.limits));
  const cuts = new Map<string, LineConcentration>();
  if (limited.length === 0) return cuts;
  const rows = await db.$queryRaw<EligibleLotRow[]>`
    SELECT v.credit_line_id::text AS line_id, v.lot_id::text AS lot_id, v.commodity_code, l.warehouse_id::text AS warehouse_id,
           trim_scale(v.lending_value)::text AS lending_value, trim_scale(v.collateral_value)::text AS collateral_value
      FROM valued_lots(${limited.map((line) => line.lineId)}::uuid[], ${input.now}::timestamptz, ${input.excludeLotId ?? null}::uuid) v
      JOIN lot l ON l.id = v.lot_id
     WHERE v.eligible AND v.lending_value > 0
     ORDER BY v.credit_line_id, v.lot_id`;
  const lotsByLine = new Map<string, EligibleLotRow[]>();
  for (const row of rows) {
    const lots = lotsByLine.get(row.line_id);
    if (lots) lots.push(row);
    else lotsByLine.set(row.line_id, [row]);
  }
  for (const line of limited) cuts.set(line.lineId, concentrationOf(lotsByLine.get(line.lineId) ?? [], line.limits));
  return cuts;
}

/** The cut of one line's eligible lots (lending and collateral values as exact decimal text) under its limits. */
export function concentrationOf(
  lots: readonly { lot_id: string; commodity_code: string; warehouse_id: string; lending_value: string; collateral_value: string }[],
  limits: ConcentrationLimits,
): LineConcentration {
  const result = applyConcentrationLimits(
    lots.map((row) => ({ lotId: row.lot_id, commodityCode: row.commodity_code, warehouseId: row.warehouse_id, lendingValue: new D(row.lending_value) })),
    limits,
  );
  const cut: LineConcentration = { lendingExcess: new D(0), collateralExcess: new D(0), lotsCutToNothing: 0, lots: new Map() };
  result.lots.forEach((entry, index) => {
    if (entry.excess.isZero()) return;
    const collateral = new D(lots[index].collateral_value);
    // The cut share of the lot's collateral, rounded UP at 18 places: LTV never looks better than it is.
    const collateralExcess = D.min(collateral, collateral.times(entry.excess).dividedBy(lots[index].lending_value).toDecimalPlaces(18, D.ROUND_UP));
    cut.lendingExcess = cut.lendingExcess.plus(entry.excess);
    cut.collateralExcess = cut.collateralExcess.plus(collateralExcess);
    if (entry.lendingValue.isZero()) cut.lotsCutToNothing += 1;
    cut.lots.set(entry.lotId, { commodityCode: lots[index].commodity_code, warehouseId: lots[index].warehouse_id, lendingValue: entry.lendingValue, excess: entry.excess, collateralExcess, reasons: entry.reasons });
  });
  return cut;
}

/** Totals after the cut (unchanged when there is none). */
export function concentratedTotals(totals: BorrowingBaseTotals, cut: LineConcentration | null): BorrowingBaseTotals {
  if (cut === null) return totals;
  return {
    ...totals,
    eligibleLotCount: totals.eligibleLotCount - cut.lotsCutToNothing,
    eligibleCollateralValue: totals.eligibleCollateralValue.minus(cut.collateralExcess),
    borrowingBase: totals.borrowingBase.minus(cut.lendingExcess),
    concentrationExcess: cut.lendingExcess,
  };
}

function withConcentration(figures: BorrowingBaseFigures, cut: LineConcentration | null): BorrowingBaseFigures {
  if (cut === null) return figures;
  return {
    ...figures,
    totals: concentratedTotals(figures.totals, cut),
    lots:
      figures.lots?.map((lot) => {
        const lotCut = cut.lots.get(lot.lotId);
        if (!lotCut) return lot;
        return {
          ...lot,
          lendingValue: lotCut.lendingValue.toFixed(),
          concentrationExcess: lotCut.excess.toFixed(),
          eligible: lotCut.lendingValue.gt(0),
          reasons: [...lot.reasons, ...lotCut.reasons],
        };
      }) ?? null,
  };
}

/** The call of line_borrowing_base() for the line `lineId` (an SQL expression) as of `now`. */
function lineBorrowingBaseCall(
  lineId: Prisma.Sql,
  input: { now: Date; excludeLotId?: string | null; lotsPage: { afterLotId: string | null; limit: number } | null },
): Prisma.Sql {
  const page = input.lotsPage;
  const pageLimit = page ? Math.min(page.limit, BORROWING_BASE_LOTS_PAGE_MAX) : 0;
  return Prisma.sql`line_borrowing_base(${lineId}, ${input.now}::timestamptz, ${input.excludeLotId ?? null}::uuid,
                                        ${page !== null}, ${page?.afterLotId ?? null}::uuid, ${pageLimit}::integer)`;
}

function borrowingBaseFiguresOf(row: BorrowingBaseRow): BorrowingBaseFigures {
  return { ...figuresOf(row), lots: row.lots?.map((lot) => ({ ...lot, concentrationExcess: '0' })) ?? null };
}

function figuresOf(row: FiguresRow): Omit<BorrowingBaseFigures, 'lots'> {
  return {
    totals: {
      lotCount: Number(row.lot_count),
      eligibleLotCount: Number(row.eligible_lot_count),
      marketValue: new D(row.market_value),
      collateralValue: new D(row.collateral_value),
      eligibleCollateralValue: new D(row.eligible_collateral_value),
      borrowingBase: new D(row.borrowing_base),
      concentrationExcess: new D(0),
    },
    outstandingPrincipal: new D(row.outstanding_principal),
    reservedDraws: new D(row.reserved_draws),
  };
}

/** A line's figures from the set-based revaluation: the borrowing base totals and what it owes and has reserved. */
export interface LineTotals {
  lineId: string;
  totals: BorrowingBaseTotals;
  outstandingPrincipal: Decimal;
  reservedDraws: Decimal;
  /** Pledged lots with no mark in the line currency or only a stale one (domain/margin.ts: no priced LTV while any). */
  unpricedLotCount: number;
}

/** Lines valued in one statement at most (a mark's lines come in pages of this size). */
export const LINES_TOTALS_BATCH_MAX = 10_000;

interface LimitColumns {
  concentration_limit_commodity: string | null;
  concentration_limit_warehouse: string | null;
  concentration_limit_lot: string | null;
}

interface LineTotalsRow extends FiguresRow, LimitColumns {
  line_id: string;
  unpriced_lot_count: bigint;
}

function limitsOfTextColumns(row: LimitColumns): ConcentrationLimits {
  const limit = (value: string | null) => (value === null ? null : new D(value));
  return { commodity: limit(row.concentration_limit_commodity), warehouse: limit(row.concentration_limit_warehouse), lot: limit(row.concentration_limit_lot) };
}

const LIMIT_COLUMNS = Prisma.sql`trim_scale(cl.concentration_limit_commodity)::text AS concentration_limit_commodity,
           trim_scale(cl.concentration_limit_warehouse)::text AS concentration_limit_warehouse,
           trim_scale(cl.concentration_limit_lot)::text AS concentration_limit_lot`;

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
  const cuts = await concentrationCuts(db, rows.map((row) => ({ lineId: row.line_id, limits: limitsOfTextColumns(row) })), input);
  return rows.map((row) => {
    const figures = figuresOf(row);
    return { lineId: row.line_id, ...figures, totals: concentratedTotals(figures.totals, cuts.get(row.line_id) ?? null), unpricedLotCount: Number(row.unpriced_lot_count) };
  });
}

/** The statement of borrowingBaseTotalsOfLines (exported for EXPLAIN ANALYZE in bench/revaluation.ts). */
export function borrowingBaseTotalsOfLinesSql(input: { lineIds: readonly string[]; now: Date }): Prisma.Sql {
  // valued_lots() is inlined into this statement and planned for these arguments.
  return Prisma.sql`
    WITH line AS (SELECT id, concentration_limit_commodity, concentration_limit_warehouse, concentration_limit_lot
                    FROM credit_line WHERE id = ANY(${[...input.lineIds]}::uuid[])),
    totals AS (
      SELECT credit_line_id,
             count(*) AS lot_count,
             count(*) FILTER (WHERE eligible) AS eligible_lot_count,
             count(*) FILTER (WHERE reasons && ARRAY['NO_MARK_IN_LINE_CURRENCY', 'MARK_STALE']) AS unpriced_lot_count,
             sum(market_value) AS market_value,
             sum(collateral_value) AS collateral_value,
             sum(collateral_value) FILTER (WHERE eligible) AS eligible_collateral_value,
             sum(lending_value) AS borrowing_base
        FROM valued_lots(${[...input.lineIds]}::uuid[], ${input.now}::timestamptz, NULL)
       GROUP BY credit_line_id
    ),
    reserved AS (
      SELECT d.credit_line_id, sum(d.amount) AS reserved_draws
        FROM draw d JOIN line ON line.id = d.credit_line_id
       WHERE d.status IN ('REQUESTED', 'APPROVED')
       GROUP BY d.credit_line_id
    )
    SELECT line.id::text AS line_id,
           trim_scale(line.concentration_limit_commodity)::text AS concentration_limit_commodity,
           trim_scale(line.concentration_limit_warehouse)::text AS concentration_limit_warehouse,
           trim_scale(line.concentration_limit_lot)::text AS concentration_limit_lot,
           coalesce(t.lot_count, 0) AS lot_count,
           coalesce(t.eligible_lot_count, 0) AS eligible_lot_count,
           coalesce(t.unpriced_lot_count, 0) AS unpriced_lot_count,
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

export interface LineFigures {
  totals: BorrowingBaseTotals;
  lots: LotValuationRow[] | null;
  limit: Money;
  outstandingPrincipal: Money;
  reservedDraws: Money;
  availability: Money;
  /** Why nothing can be drawn; null while something can. */
  noAvailabilityReason: NoAvailabilityReason | null;
  loanToValue: LoanToValue;
}

export interface LinePosition extends LineFigures {
  line: CreditLine;
}

function lineFigures(currency: string, limitAmount: string, figures: BorrowingBaseFigures, matured: boolean): LineFigures {
  const limit = Money.of(limitAmount, currency);
  const outstandingPrincipal = Money.of(figures.outstandingPrincipal, currency);
  const reservedDraws = Money.of(figures.reservedDraws, currency);
  return {
    totals: figures.totals,
    lots: figures.lots,
    limit,
    outstandingPrincipal,
    reservedDraws,
    availability: availability({ limit, borrowingBase: Money.of(figures.totals.borrowingBase, currency), outstandingPrincipal, reservedDraws, matured }),
    noAvailabilityReason: noAvailabilityReason({ limit, borrowingBase: Money.of(figures.totals.borrowingBase, currency), outstandingPrincipal, reservedDraws, matured }),
    loanToValue: ltv({ outstandingPrincipal, collateralValue: Money.of(figures.totals.eligibleCollateralValue, currency) }),
  };
}

type PositionOptions = { now: Date; excludeLotId?: string | null; lotsPage: { afterLotId: string | null; limit: number } | null };

/** The line's borrowing base, availability and LTV as of `now` (line must exist). */
export async function linePosition(db: Db, line: CreditLine, options: PositionOptions): Promise<LinePosition> {
  const figures = await borrowingBaseQuery(db, { lineId: line.id, ...options });
  const matured = isMatured(line.maturityDate.toISOString().slice(0, 10), utcDay(options.now));
  return { line, ...lineFigures(line.currency, line.limitAmount.toString(), figures, matured) };
}

/**
 * What GET …/borrowing-base shows: the line's figures for its lender or seller
 * (NotFoundError for anyone else), in one round trip — the visibility check,
 * the line's terms and line_borrowing_base() in one statement.
 */
export async function linePositionForViewer(
  db: Db,
  actor: Pick<CustodyActor, 'organisationId'>,
  lineId: string,
  options: Omit<PositionOptions, 'excludeLotId'>,
): Promise<LineFigures & { lineId: string; currency: string }> {
  const rows = await db.$queryRaw<(BorrowingBaseRow & LimitColumns & { currency: string; limit_amount: string; maturity_date: string })[]>`
    SELECT cl.currency::text AS currency, trim_scale(cl.limit_amount)::text AS limit_amount, cl.maturity_date::text AS maturity_date, ${LIMIT_COLUMNS}, bb.*
      FROM credit_line cl
     CROSS JOIN LATERAL ${lineBorrowingBaseCall(Prisma.sql`cl.id`, options)} bb
     WHERE cl.id = ${lineId}::uuid
       AND (cl.lender_organisation_id = ${actor.organisationId}::uuid OR cl.seller_organisation_id = ${actor.organisationId}::uuid)`;
  const row = rows[0];
  if (!row) throw new NotFoundError('credit line', lineId);
  const cuts = await concentrationCuts(db, [{ lineId, limits: limitsOfTextColumns(row) }], options);
  const figures = withConcentration(borrowingBaseFiguresOf(row), cuts.get(lineId) ?? null);
  return { lineId, currency: row.currency, ...lineFigures(row.currency, row.limit_amount, figures, isMatured(row.maturity_date, utcDay(options.now))) };
}
