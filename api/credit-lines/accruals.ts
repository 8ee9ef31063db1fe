import { DAY_COUNTS } from '../../domain/day-count';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { ACCRUALS_PAGE_MAX, accrualsPage, type InterestAccrualRecord } from '../../prisma/accrual/store';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { defineRoute } from '../http/route';
import { ComputedDecimalString, IsoDate, MoneySchema, Uuid, decodeCursor, encodeCursor, listQuery, pageOf } from '../http/schemas';
import { LineIdParams } from './schemas';

const AccrualView = z
  .object({
    accrualDate: IsoDate,
    annualInterestRate: ComputedDecimalString,
    dayCount: z.enum(DAY_COUNTS),
    outstandingPrincipal: MoneySchema.meta({ description: 'LOAN_PRINCIPAL at the end of the day, as the accrual saw it' }),
    exactInterest: ComputedDecimalString.meta({ description: 'principal × rate ÷ day-count basis, at 18 places (half-even)' }),
    carriedIn: ComputedDecimalString.meta({ description: 'Sub-unit remainder carried in from the day before' }),
    postedInterest: MoneySchema.meta({ description: 'What the day posted (Dr INTEREST_RECEIVABLE / Cr INTEREST_INCOME)' }),
    carriedOut: ComputedDecimalString.meta({ description: 'Remainder carried to the next day' }),
    ledgerEntryId: Uuid.nullable(),
    restatedInterest: ComputedDecimalString.meta({ description: 'Σ interest differences of earlier days this accrual restated (principal changed after they were accrued)' }),
    restatementPosted: MoneySchema.meta({ description: 'What the restatement entry posted; negative when interest was over-charged' }),
    restatementEntryId: Uuid.nullable(),
    termsVersionNo: z.number().int().nullable().meta({ description: 'The terms version the day accrued under (GET /credit-lines/{lineId}/terms); null for a line without versions' }),
    fixing: z
      .object({ effectiveDate: IsoDate, rate: ComputedDecimalString })
      .nullable()
      .meta({ description: 'Floating rate: the reference-rate fixing in force that day; annualInterestRate = max(0, max(fixing, floor) + spread). Null on a fixed rate' }),
    rateFlag: z
      .enum(['STALE_FIXING'])
      .nullable()
      .meta({ description: "STALE_FIXING: no fixing fresher than the reference rate's maxFixingAgeDays existed, so the last one was used" }),
    recordedAt: z.string(),
  })
  .meta({ id: 'InterestAccrual', description: "One day of a line's interest accrual and the ledger entries it posted" });

function accrualView(accrual: InterestAccrualRecord): z.infer<typeof AccrualView> {
  return {
    accrualDate: accrual.accrualDate,
    annualInterestRate: accrual.annualInterestRate.toFixed(),
    dayCount: accrual.dayCount,
    outstandingPrincipal: accrual.outstandingPrincipal.toJSON(),
    exactInterest: accrual.exactInterest.toFixed(),
    carriedIn: accrual.carriedIn.toFixed(),
    postedInterest: accrual.postedInterest.toJSON(),
    carriedOut: accrual.carriedOut.toFixed(),
    ledgerEntryId: accrual.ledgerEntryId,
    restatedInterest: accrual.restatedInterest.toFixed(),
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
  if (position && !IsoDate.safeParse(position.accrualDate).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
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
