import { z } from 'zod';
import { D } from '../../domain/money';
import { BORROWING_BASE_LOTS_PAGE_MAX, linePositionForViewer, listPriceMarks, postPriceMark } from '../../prisma/custody/valuation';
import { decText } from '../../prisma/custody/store';
import { revalueLinesForMark } from '../../prisma/margin/revaluation';
import { marginCheckFailureOf } from '../../prisma/margin/failures';
import { revalueLines } from '../margin/revaluation';
import type { PriceMark } from '../../prisma/generated/client';
import { CommodityCode, Grade } from '../custody/schemas';
import { defineRoute } from '../http/route';
import { ComputedDecimalString, CurrencyCode, DecimalString, IsoDateTime, NonNegativeDecimalString, PageQuery, Uuid, decodeCursor, encodeCursor, listQuery, pageOf, periodWhere } from '../http/schemas';

const TAG = 'Valuation';

const PriceMarkView = z
  .object({
    id: Uuid,
    commodityCode: z.string(),
    grade: z.string(),
    currency: z.string(),
    pricePerUnit: DecimalString,
    source: z.string(),
    asOf: z.string(),
    postedByUserId: Uuid,
    createdAt: z.string(),
  })
  .meta({ id: 'PriceMark' });

function priceMarkView(mark: PriceMark): z.infer<typeof PriceMarkView> {
  return {
    id: mark.id,
    commodityCode: mark.commodityCode,
    grade: mark.grade,
    currency: mark.currency,
    pricePerUnit: decText(mark.pricePerUnit),
    source: mark.source,
    asOf: mark.asOf.toISOString(),
    postedByUserId: mark.postedByUserId,
    createdAt: mark.createdAt.toISOString(),
  };
}

const IneligibilityReason = z.enum([
  'NO_MARK_IN_LINE_CURRENCY',
  'MARK_STALE',
  'COUNT_DIFFERENCE_FLAG',
  'QUALITY_HOLD',
  'STOCK_COUNT_OVERDUE',
  'WAREHOUSE_NOT_APPROVED',
  // The line's concentration limits cut this lot's lending value (all of it when lendingValue is zero).
  'CONCENTRATION_COMMODITY',
  'CONCENTRATION_WAREHOUSE',
  'CONCENTRATION_LOT',
]);

const LotValuationView = z
  .object({
    lotId: Uuid,
    receiptNumber: z.string(),
    commodityCode: z.string(),
    grade: z.string(),
    quantity: DecimalString,
    unit: z.string(),
    pricePerUnit: DecimalString.nullable(),
    markAsOf: z.string().nullable(),
    advanceRate: DecimalString,
    marketValue: ComputedDecimalString,
    collateralValue: ComputedDecimalString,
    lendingValue: ComputedDecimalString.meta({ description: 'Zero when the lot is ineligible; after the cut of the concentration limits' }),
    concentrationExcess: ComputedDecimalString.meta({ description: "Lending value the line's concentration limits cut from this lot (reasons CONCENTRATION_*): ineligible" }),
    eligible: z.boolean(),
    reasons: z.array(IneligibilityReason),
  })
  .meta({ id: 'LotValuation' });

const MarginCheckFailureView = z
  .object({
    stage: z.enum(['REVALUATION', 'MARGIN_CHECK']),
    errorType: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    failingSince: z.string(),
    lastFailedAt: z.string(),
  })
  .meta({ id: 'MarginCheckFailure' });

// A ratio such as 1/3 has no exact decimal; decisions use the exact comparison in
// domain/margin.ts, the response shows it to a fixed number of places.
const LTV_DISPLAY_PLACES = 10;

const BorrowingBaseView = z
  .object({
    creditLineId: Uuid,
    currency: z.string(),
    asOf: z.string(),
    totals: z.object({
      lotCount: z.number().int(),
      eligibleLotCount: z.number().int(),
      marketValue: ComputedDecimalString,
      collateralValue: ComputedDecimalString,
      eligibleCollateralValue: ComputedDecimalString.meta({ description: 'Collateral value of eligible lots, less the share the concentration limits cut' }),
      borrowingBase: ComputedDecimalString.meta({ description: 'Σ lending value of eligible lots after the concentration limits cut' }),
      concentrationExcess: ComputedDecimalString.meta({ description: "Σ lending value the line's concentration limits cut (ineligible); zero without limits" }),
      limit: ComputedDecimalString,
      outstandingPrincipal: ComputedDecimalString,
      reservedDraws: ComputedDecimalString,
      availability: ComputedDecimalString.meta({ description: 'min(limit, borrowing base) − outstanding principal − reserved draws; negative when over-advanced' }),
      noAvailabilityReason: z
        .enum(['LIMIT_BELOW_OUTSTANDING', 'BORROWING_BASE_BELOW_OUTSTANDING', 'FULLY_DRAWN'])
        .nullable()
        .meta({ description: 'Why nothing can be drawn (availability ≤ 0): the limit is below outstanding + reserved (e.g. cut by an amendment), the borrowing base is, or the line is fully drawn; null while something can' }),
      ltv: ComputedDecimalString.nullable().meta({ description: `outstanding principal ÷ eligible collateral value, rounded half-even to ${LTV_DISPLAY_PLACES} places; null when infinite (debt with no eligible collateral)` }),
    }),
    lots: z.array(LotValuationView).nullable().meta({ description: 'One page of the per-lot breakdown by lot id; null with view=totals' }),
    nextCursor: z.string().nullable(),
    marginCheckFailure: MarginCheckFailureView.nullable().meta({
      description: 'Set while the line cannot be revalued or margin-checked (other lines are not affected); it is retried, and cleared by the next success',
    }),
  })
  .meta({ id: 'BorrowingBase', description: 'Exact decimals, unrounded (rounded only when posted)' });

export const valuationRoutes = [
  defineRoute({
    method: 'post',
    path: '/price-marks',
    operationId: 'postPriceMark',
    summary: "Post a price mark (lender or its price-feed user); history is kept and the latest asOf values the lender's lines",
    tag: TAG,
    problems: [403],
    body: z.object({
      commodityCode: CommodityCode,
      grade: Grade,
      currency: CurrencyCode,
      pricePerUnit: NonNegativeDecimalString,
      source: z.string().trim().min(1).max(200),
      asOf: IsoDateTime,
    }),
    success: { status: 201, description: 'The mark', schema: PriceMarkView },
    handler: async ({ db, actor, body, outbox, now }) => {
      const mark = await postPriceMark(db, actor, { ...body, pricePerUnit: new D(body.pricePerUnit), asOf: new Date(body.asOf) }, now);
      // Every line holding goods of this commodity and grade is revalued here, in one statement and in this
      // transaction (so the mark is seen); only the lines with something to do — a live call, or a decision
      // other than NONE — go to their margin workflows, which act under the line's lock once the mark is committed.
      // A line that cannot be revalued is recorded and retried by its workflow; it never fails the mark.
      const { lineIdsForWorkflow } = await revalueLinesForMark(db, mark, now);
      await revalueLines(outbox, lineIdsForWorkflow, 'PRICE_MARK');
      return priceMarkView(mark);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/price-marks',
    operationId: 'listPriceMarks',
    summary: "Your organisation's price mark history, newest asOf first; from/to filter on asOf",
    tag: TAG,
    query: listQuery({ commodityCode: CommodityCode.optional(), grade: Grade.optional(), currency: CurrencyCode.optional() }),
    success: { status: 200, description: 'One page of marks', schema: pageOf(PriceMarkView) },
    handler: async ({ db, actor, query }) => {
      const cursor = decodeCursor(query.cursor, ['asOf', 'id']);
      const { commodityCode, grade, currency, limit } = query;
      const marks = await listPriceMarks(db, actor, { commodityCode, grade, currency, limit, asOf: periodWhere(query), beforeId: cursor ? { asOf: new Date(cursor.asOf), id: cursor.id } : null });
      const last = marks[marks.length - 1];
      return { items: marks.map(priceMarkView), nextCursor: marks.length === query.limit ? encodeCursor({ asOf: last.asOf.toISOString(), id: last.id }) : null };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/borrowing-base',
    operationId: 'getBorrowingBase',
    summary: "A line's borrowing base, availability and LTV, with a per-lot breakdown and eligibility reasons (lender or seller of the line)",
    tag: TAG,
    problems: [404],
    params: z.object({ lineId: Uuid }),
    query: z.object({
      view: z.enum(['full', 'totals']).default('full'),
      cursor: z.string().max(500).optional(),
      limit: z.coerce.number().int().min(1).max(BORROWING_BASE_LOTS_PAGE_MAX).default(200),
    }),
    success: { status: 200, description: 'The borrowing base', schema: BorrowingBaseView },
    handler: async ({ db, deps, actor, params, query, now }) => {
      const cursor = decodeCursor(query.cursor, ['afterLotId']);
      const stopTimer = deps.metrics?.borrowingBaseSeconds.startTimer({ view: query.view });
      const position = await linePositionForViewer(db, actor, params.lineId, {
        now,
        lotsPage: query.view === 'totals' ? null : { afterLotId: cursor?.afterLotId ?? null, limit: query.limit },
      });
      stopTimer?.();
      const failure = await marginCheckFailureOf(db, params.lineId);
      const lots = position.lots;
      const { totals } = position;
      return {
        creditLineId: position.lineId,
        currency: position.currency,
        asOf: now.toISOString(),
        totals: {
          lotCount: totals.lotCount,
          eligibleLotCount: totals.eligibleLotCount,
          marketValue: totals.marketValue.toFixed(),
          collateralValue: totals.collateralValue.toFixed(),
          eligibleCollateralValue: totals.eligibleCollateralValue.toFixed(),
          borrowingBase: totals.borrowingBase.toFixed(),
          concentrationExcess: totals.concentrationExcess.toFixed(),
          limit: position.limit.amount.toFixed(),
          outstandingPrincipal: position.outstandingPrincipal.amount.toFixed(),
          reservedDraws: position.reservedDraws.amount.toFixed(),
          availability: position.availability.amount.toFixed(),
          noAvailabilityReason: position.noAvailabilityReason,
          ltv: position.loanToValue.kind === 'finite' ? position.loanToValue.value.toDecimalPlaces(LTV_DISPLAY_PLACES, D.ROUND_HALF_EVEN).toFixed() : null,
        },
        lots,
        nextCursor: lots && lots.length === query.limit ? encodeCursor({ afterLotId: lots[lots.length - 1].lotId }) : null,
        marginCheckFailure: failure
          ? {
              stage: failure.stage,
              errorType: failure.errorType,
              reason: failure.reason,
              attempts: failure.attempts,
              failingSince: failure.firstFailedAt.toISOString(),
              lastFailedAt: failure.lastFailedAt.toISOString(),
            }
          : null,
      };
    },
  }),
];
