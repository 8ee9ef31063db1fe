import { z } from 'zod';
import { D } from '../../domain/money';
import { BORROWING_BASE_LOTS_PAGE_MAX, linePositionForViewer, listPriceMarks, postPriceMark } from '../../prisma/custody/valuation';
import { decText } from '../../prisma/custody/store';
import { revalueLinesForMark } from '../../prisma/margin/revaluation';
import { marginCheckFailureOf } from '../../prisma/margin/failures';
import { revalueLines } from '../margin/revaluation';
import type { LotValuationRow, PriceMarkWithUnit } from '../../prisma/custody/valuation';
import { CommodityCode, Grade } from '../custody/schemas';
import { defineRoute } from '../http/route';
import { CurrencyCode, notNegativeAt, MoneySchema, moneyShown, orNull, PageQuery, Quantity, Ratio, Timestamp, UnitPrice, Uuid, decodeCursor, encodeCursor, listQuery, pageOf, periodWhere } from '../http/schemas';

const TAG = 'Valuation';

const PriceMarkView = z
  .object({
    id: Uuid,
    commodityCode: z.string(),
    grade: z.string(),
    pricePerUnit: UnitPrice,
    source: z.string(),
    asOf: Timestamp,
    postedByUserId: Uuid,
    createdAt: Timestamp,
  })
  .meta({ id: 'PriceMark' });

function priceMarkView(mark: PriceMarkWithUnit): z.infer<typeof PriceMarkView> {
  return {
    id: mark.id,
    commodityCode: mark.commodityCode,
    grade: mark.grade,
    pricePerUnit: { amount: decText(mark.pricePerUnit), currency: mark.currency, unit: mark.unit },
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
    quantity: Quantity,
    pricePerUnit: orNull(UnitPrice),
    markAsOf: orNull(Timestamp),
    advanceRate: Ratio,
    marketValue: MoneySchema,
    collateralValue: MoneySchema,
    lendingValue: MoneySchema,
    concentrationExcess: MoneySchema,
    eligible: z.boolean(),
    reasons: z.array(IneligibilityReason),
  })
  .meta({
    id: 'LotValuation',
    description:
      "One lot's value: lendingValue is zero when the lot is ineligible (reasons say why), and after the cut of the line's concentration limits; " +
      'concentrationExcess is the lending value those limits cut from this lot (reasons CONCENTRATION_*), which is ineligible',
  });

function lotValuationView(lot: LotValuationRow, currency: string): z.infer<typeof LotValuationView> {
  return {
    lotId: lot.lotId,
    receiptNumber: lot.receiptNumber,
    commodityCode: lot.commodityCode,
    grade: lot.grade,
    quantity: { amount: lot.quantity, unit: lot.unit },
    pricePerUnit: lot.pricePerUnit === null ? null : { amount: lot.pricePerUnit, currency, unit: lot.unit },
    markAsOf: lot.markAsOf === null ? null : new Date(lot.markAsOf).toISOString(),
    advanceRate: lot.advanceRate,
    marketValue: moneyShown(new D(lot.marketValue), currency),
    collateralValue: moneyShown(new D(lot.collateralValue), currency),
    lendingValue: moneyShown(new D(lot.lendingValue), currency),
    concentrationExcess: moneyShown(new D(lot.concentrationExcess), currency),
    eligible: lot.eligible,
    reasons: lot.reasons,
  };
}

const MarginCheckFailureView = z
  .object({
    stage: z.enum(['REVALUATION', 'MARGIN_CHECK']),
    errorType: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    failingSince: z.string(),
    lastFailedAt: Timestamp,
  })
  .meta({ id: 'MarginCheckFailure' });

// A ratio such as 1/3 has no exact decimal; decisions use the exact comparison in
// domain/margin.ts, the response shows it to a fixed number of places.
const LTV_DISPLAY_PLACES = 10;

const BorrowingBaseView = z
  .object({
    creditLineId: Uuid,
    currency: CurrencyCode,
    asOf: Timestamp,
    totals: z.object({
      lotCount: z.number().int(),
      eligibleLotCount: z.number().int(),
      marketValue: MoneySchema,
      collateralValue: MoneySchema,
      eligibleCollateralValue: MoneySchema,
      borrowingBase: MoneySchema,
      concentrationExcess: MoneySchema,
      limit: MoneySchema,
      outstandingPrincipal: MoneySchema,
      reservedDraws: MoneySchema,
      availability: MoneySchema,
      noAvailabilityReason: z
        .enum(['MATURED', 'LIMIT_BELOW_OUTSTANDING', 'BORROWING_BASE_BELOW_OUTSTANDING', 'NO_BORROWING_BASE', 'FULLY_DRAWN'])
        .nullable()
        .meta({
          description:
            'Why nothing can be drawn (availability ≤ 0): the line reached its maturity date (a renewal lifts it), the limit is below outstanding + reserved (e.g. cut by an amendment), the borrowing base is, ' +
            'there is no borrowing base at all (nothing pledged, or every pledged lot ineligible: each lot says why), or the line is fully drawn; null while something can',
        }),
      ltv: orNull(Ratio),
    }).meta({
      description:
        'availability = min(limit, borrowing base) − outstanding principal − reserved draws, negative when over-advanced; ' +
        `ltv = outstanding principal ÷ eligible collateral value, rounded half-even to ${LTV_DISPLAY_PLACES} places, null when infinite (debt with no eligible collateral)`,
    }),
    lots: z.array(LotValuationView).nullable().meta({ description: 'One page of the per-lot breakdown by lot id; null with view=totals' }),
    nextCursor: z.string().nullable(),
    marginCheckFailure: MarginCheckFailureView.nullable().meta({
      description: 'Set while the line cannot be revalued or margin-checked (other lines are not affected); it is retried, and cleared by the next success',
    }),
  })
  .meta({
    id: 'BorrowingBase',
    description:
      "Values are computed exactly and shown as Money rounded half-even to the currency's scale (decisions use the exact figures); lots is one page of the breakdown, continued with nextCursor",
  });

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
      pricePerUnit: UnitPrice,
      source: z.string().trim().min(1).max(200),
      asOf: Timestamp,
    }).superRefine(notNegativeAt(['pricePerUnit', 'amount'])),
    success: { status: 201, description: 'The mark', schema: PriceMarkView },
    handler: async ({ db, actor, body, outbox, now }) => {
      const mark = await postPriceMark(
        db,
        actor,
        { ...body, currency: body.pricePerUnit.currency, pricePerUnit: new D(body.pricePerUnit.amount), unit: body.pricePerUnit.unit, asOf: new Date(body.asOf) },
        now,
      );
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
      const { totals, currency } = position;
      return {
        creditLineId: position.lineId,
        currency: position.currency,
        asOf: now.toISOString(),
        totals: {
          lotCount: totals.lotCount,
          eligibleLotCount: totals.eligibleLotCount,
          marketValue: moneyShown(totals.marketValue, currency),
          collateralValue: moneyShown(totals.collateralValue, currency),
          eligibleCollateralValue: moneyShown(totals.eligibleCollateralValue, currency),
          borrowingBase: moneyShown(totals.borrowingBase, currency),
          concentrationExcess: moneyShown(totals.concentrationExcess, currency),
          limit: moneyShown(position.limit.amount, currency),
          outstandingPrincipal: moneyShown(position.outstandingPrincipal.amount, currency),
          reservedDraws: moneyShown(position.reservedDraws.amount, currency),
          availability: moneyShown(position.availability.amount, currency),
          noAvailabilityReason: position.noAvailabilityReason,
          ltv: position.loanToValue.kind === 'finite' ? position.loanToValue.value.toDecimalPlaces(LTV_DISPLAY_PLACES, D.ROUND_HALF_EVEN).toFixed() : null,
        },
        lots: lots?.map((lot) => lotValuationView(lot, currency)) ?? null,
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
