import { DAY_COUNTS } from '../../domain/day-count';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { ACCRUALS_PAGE_MAX, accrualsPage, type InterestAccrualRecord } from '../../prisma/accrual/store';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { defineRoute } from '../http/route';
import { CalendarDate, decodeCursor, encodeCursor, ExactMoney, listQuery, MoneySchema, pageOf, Ratio, Timestamp, Uuid } from '../http/schemas';
import { LineIdParams } from './schemas';

const AccrualView = z
  .object({
    accrualDate: CalendarDate,
    annualInterestRate: Ratio,
    dayCount: z.enum(DAY_COUNTS),
    outstandingPrincipal: MoneySchema,
    exactInterest: ExactMoney,
    carriedIn: ExactMoney,
    postedInterest: MoneySchema,
    carriedOut: ExactMoney,
    ledgerEntryId: Uuid.nullable(),
    restatedInterest: ExactMoney,
    restatementPosted: MoneySchema,
    restatementEntryId: Uuid.nullable(),
    termsVersionNo: z.number().int().nullable().meta({ description: 'The terms version the day accrued under (GET /credit-lines/{lineId}/terms); null for a line without versions' }),
    fixing: z
      .object({ effectiveDate: CalendarDate, rate: Ratio })
      .nullable()
      .meta({ description: 'Floating rate: the reference-rate fixing in force that day; annualInterestRate = max(0, max(fixing, floor) + spread). Null on a fixed rate' }),
    rateFlag: z
      .enum(['STALE_FIXING'])
      .nullable()
      .meta({ description: "STALE_FIXING: no fixing fresher than the reference rate's maxFixingAgeDays existed, so the last one was used" }),
    recordedAt: Timestamp,
  })
  .meta({
    id: 'InterestAccrual',
    description:
      "One day of a line's interest accrual and the ledger entries it posted. outstandingPrincipal: LOAN_PRINCIPAL at the end of the day, as the accrual saw it; " +
      'exactInterest: principal × rate ÷ day-count basis, at 18 places (half-even); carriedIn: the sub-unit remainder carried in from the day before; ' +
      'postedInterest: what the day posted (Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME); carriedOut: the remainder carried to the next day; ' +
      'restatedInterest: Σ interest differences of earlier days this accrual restated (principal changed after they were accrued); ' +
      'restatementPosted: what the restatement entry posted, negative when interest was over-charged',
  });

function accrualView(accrual: InterestAccrualRecord): z.infer<typeof AccrualView> {
  const exact = (amount: { toFixed(): string }) => ({ amount: amount.toFixed(), currency: accrual.postedInterest.currency });
  return {
    accrualDate: accrual.accrualDate,
    annualInterestRate: accrual.annualInterestRate.toFixed(),
    dayCount: accrual.dayCount,
    outstandingPrincipal: accrual.outstandingPrincipal.toJSON(),
    exactInterest: exact(accrual.exactInterest),
    carriedIn: exact(accrual.carriedIn),
    postedInterest: accrual.postedInterest.toJSON(),
    carriedOut: exact(accrual.carriedOut),
    ledgerEntryId: accrual.ledgerEntryId,
    restatedInterest: exact(accrual.restatedInterest),
    restatementPosted: accrual.restatementPosted.toJSON(),
    restatementEntryId: accrual.restatementEntryId,
    termsVersionNo: accrual.termsVersionNo,
    fixing: accrual.fixing && { effectiveDate: accrual.fixing.effectiveDate, rate: accrual.fixing.rate.toFixed() },
    rateFlag: accrual.rateFlag,
    recordedAt: accrual.createdAt.toISOString(),
  };
}

function afterDateOf(cursor: string | undefined): string | null {
  const position = decodeCursor(cursor, ['accrualDate']);
  if (position && !CalendarDate.safeParse(position.accrualDate).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
  return position?.accrualDate ?? null;
}

export const accrualRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/accruals',
    operationId: 'listAccruals',
    summary: "A line's interest accrual history, one row per accrued day, oldest first; from/to filter on the accrual date (lender and seller only)",
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    query: listQuery({}, ACCRUALS_PAGE_MAX),
    success: { status: 200, description: 'One page of accrued days; nextCursor is null on the last', schema: pageOf(AccrualView) },
    handler: async ({ db, actor, params, query }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const rows = await accrualsPage(db, line.id, { from: query.from, to: query.to, afterDate: afterDateOf(query.cursor), limit: query.limit });
      const page = rows.slice(0, query.limit);
      return { items: page.map(accrualView), nextCursor: rows.length > query.limit ? encodeCursor({ accrualDate: page[page.length - 1].accrualDate }) : null };
    },
  }),
];
