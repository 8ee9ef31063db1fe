import { z } from 'zod';
import { concentrationLimitsOf } from '../../domain/credit-terms';
import { D } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { ValidationError } from '../../domain/errors';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { LINE_HISTORY_DAYS_MAX, lineHistory } from '../../prisma/credit-lines/history';
import { defineRoute } from '../http/route';
import { CalendarDate, CurrencyCode, MoneySchema, Ratio, Uuid, moneyShown, orNull } from '../http/schemas';
import { LineIdParams } from './schemas';

const LTV_DISPLAY_PLACES = 10;
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

const HistoryQuery = z
  .object({ from: CalendarDate.optional(), to: CalendarDate.optional() })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, { path: ['to'], message: 'must be on or after from' })
  .meta({ description: `from: the first day (UTC), inclusive, by default ${DEFAULT_DAYS - 1} days before \`to\`; to: the last day (UTC), inclusive, by default today, never after today` });

const HistoryPoint = z
  .object({
    date: CalendarDate,
    outstanding: MoneySchema,
    borrowingBase: MoneySchema,
    eligibleCollateralValue: MoneySchema,
    reservedDraws: MoneySchema,
    availability: MoneySchema,
    ltv: orNull(Ratio),
  })
  .meta({
    id: 'CreditLineHistoryPoint',
    description:
      'The figures at the end of `date` (UTC). outstanding: principal (LOAN_PRINCIPAL postings dated on or before the day); availability: min(limit, borrowing base) − outstanding − reserved draws, negative when the line is over-drawn; ' +
      `ltv: outstanding ÷ eligible collateral value, rounded half-even to ${LTV_DISPLAY_PLACES} places, null when infinite (debt with no eligible collateral). ` +
      "Values are computed exactly and shown as Money rounded half-even to the currency's scale",
  });

export const LineHistory = z
  .object({
    creditLineId: Uuid,
    currency: CurrencyCode,
    from: CalendarDate,
    to: CalendarDate,
    limit: MoneySchema,
    thresholds: z.object({ marginCallLtv: Ratio, targetLtv: Ratio, liquidationLtv: Ratio }),
    points: z.array(HistoryPoint),
  })
  .meta({
    id: 'CreditLineHistory',
    description:
      "Every day is valued under the line's current terms (haircut, advance rates, eligibility rules, approved warehouses, concentration limits; limit and thresholds as shown): " +
      'after an amendment, earlier days show what the figures would have been under today\'s terms, not what was reported then (GET …/terms lists the versions)',
  });

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
        limit: moneyShown(line.terms.limit.amount, line.terms.currency),
        thresholds: { marginCallLtv: line.terms.marginCallLtv.toFixed(), targetLtv: line.terms.targetLtv.toFixed(), liquidationLtv: line.terms.liquidationLtv.toFixed() },
        points: points.map((point) => ({
          date: point.date,
          outstanding: moneyShown(point.outstandingPrincipal.amount, line.terms.currency),
          borrowingBase: moneyShown(point.borrowingBase.amount, line.terms.currency),
          eligibleCollateralValue: moneyShown(point.eligibleCollateralValue, line.terms.currency),
          reservedDraws: moneyShown(point.reservedDraws.amount, line.terms.currency),
          availability: moneyShown(point.availability.amount, line.terms.currency),
          ltv: point.loanToValue.kind === 'finite' ? point.loanToValue.value.toDecimalPlaces(LTV_DISPLAY_PLACES, D.ROUND_HALF_EVEN).toFixed() : null,
        })),
      };
    },
  }),
];
