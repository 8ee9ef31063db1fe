import { z } from 'zod';
import { concentrationLimitsOf } from '../../domain/credit-terms';
import { D } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { ValidationError } from '../../domain/errors';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { LINE_HISTORY_DAYS_MAX, lineHistory } from '../../prisma/credit-lines/history';
import { defineRoute } from '../http/route';
import { ComputedDecimalString, IsoDate } from '../http/schemas';
import { LineIdParams } from './schemas';

const LTV_DISPLAY_PLACES = 10;
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

const HistoryQuery = z
  .object({
    from: IsoDate.optional().meta({ description: `First day (UTC), inclusive; default: ${DEFAULT_DAYS - 1} days before \`to\`` }),
    to: IsoDate.optional().meta({ description: 'Last day (UTC), inclusive; default: today. Not after today' }),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, { path: ['to'], message: 'must be on or after from' });

const HistoryPoint = z.object({
  date: IsoDate.meta({ description: 'The figures hold at the end of this day (UTC)' }),
  outstanding: ComputedDecimalString.meta({ description: 'Outstanding principal (LOAN_PRINCIPAL postings dated on or before the day)' }),
  borrowingBase: ComputedDecimalString,
  eligibleCollateralValue: ComputedDecimalString,
  reservedDraws: ComputedDecimalString,
  availability: ComputedDecimalString.meta({ description: 'min(limit, borrowing base) − outstanding − reserved draws; negative when the line is over-drawn' }),
  ltv: ComputedDecimalString.nullable().meta({
    description: `outstanding ÷ eligible collateral value, rounded half-even to ${LTV_DISPLAY_PLACES} places; null when infinite (debt with no eligible collateral)`,
  }),
});

export const LineHistory = z
  .object({
    creditLineId: z.string(),
    currency: z.string(),
    from: IsoDate,
    to: IsoDate,
    limit: ComputedDecimalString,
    thresholds: z.object({ marginCallLtv: ComputedDecimalString, targetLtv: ComputedDecimalString, liquidationLtv: ComputedDecimalString }),
    points: z.array(HistoryPoint),
  })
  .meta({ id: 'CreditLineHistory' });

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

export const lineHistoryRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/history',
    operationId: 'getCreditLineHistory',
    summary: `A line's figures at the end of each day (LTV, borrowing base, outstanding, availability) with its thresholds, for at most ${LINE_HISTORY_DAYS_MAX} days (lender and seller)`,
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    query: HistoryQuery,
    success: {
      status: 200,
      description:
        'One point per day, recomputed from the stored facts by their dates: ledger postings by effective date, price marks by asOf, liens and custody events by when they occurred, sales and draws by when they changed. The line’s current terms apply to every day',
      schema: LineHistory,
    },
    handler: async ({ db, actor, params, query, now }) => {
      const today = utcDay(now);
      const to = query.to ?? today;
      if (to > today) throw new ValidationError('query.to', `must not be after today (${today}): a day's figures exist once it has ended or is under way`);
      const from = query.from ?? isoDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS);
      const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
      if (days > LINE_HISTORY_DAYS_MAX) {
        throw new ValidationError('query.from', `asks for ${days} days from ${from} to ${to}; at most ${LINE_HISTORY_DAYS_MAX} days per request: ask for the rest in another`);
      }
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const points = await lineHistory(db, { id: line.id, currency: line.terms.currency, limit: line.terms.limit, concentrationLimits: concentrationLimitsOf(line.terms) }, { from, to });
      return {
        creditLineId: line.id,
        currency: line.terms.currency,
        from,
        to,
        limit: line.terms.limit.amount.toFixed(),
        thresholds: { marginCallLtv: line.terms.marginCallLtv.toFixed(), targetLtv: line.terms.targetLtv.toFixed(), liquidationLtv: line.terms.liquidationLtv.toFixed() },
        points: points.map((point) => ({
          date: point.date,
          outstanding: point.outstandingPrincipal.amount.toFixed(),
          borrowingBase: point.borrowingBase.amount.toFixed(),
          eligibleCollateralValue: point.eligibleCollateralValue.toFixed(),
          reservedDraws: point.reservedDraws.amount.toFixed(),
          availability: point.availability.amount.toFixed(),
          ltv: point.loanToValue.kind === 'finite' ? point.loanToValue.value.toDecimalPlaces(LTV_DISPLAY_PLACES, D.ROUND_HALF_EVEN).toFixed() : null,
        })),
      };
    },
  }),
];
