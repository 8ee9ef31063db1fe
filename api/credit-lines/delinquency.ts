/**
 * Maturity and delinquency for reading (domain/delinquency.ts): a line's amount due, days past due and bucket,
 * and the DPD buckets across a lender's portfolio.
 */
import { z } from 'zod';
import { DPD_BUCKETS } from '../../domain/delinquency';
import { ForbiddenError } from '../../domain/errors';
import { utcDay } from '../../domain/value-dates';
import { creditLineVisibleTo, delinquencyTermsAsJson } from '../../prisma/credit-lines/store';
import { PORTFOLIO_PAST_DUE_LINES_MAX, delinquencyOfLine, portfolioDelinquency, type LineDelinquencyRecord } from '../../prisma/credit-lines/delinquency';
import { defineRoute } from '../http/route';
import { CalendarDate, MoneySchema, orNull, Ratio, Uuid } from '../http/schemas';
import { CreditLineStatus, LineIdParams } from './schemas';

const DpdBucket = z.enum(DPD_BUCKETS).meta({ description: 'CURRENT (0 days past due), DPD_1_30, DPD_31_60, DPD_61_90, DPD_90_PLUS' });

const Owed = z.object({ principal: MoneySchema, interest: MoneySchema, fees: MoneySchema });

const LineDelinquencyView = z
  .object({
    creditLineId: Uuid,
    sellerOrganisationId: Uuid,
    status: CreditLineStatus,
    asOf: CalendarDate,
    maturityDate: CalendarDate,
    matured: z.boolean(),
    terms: z.object({
      gracePeriodDays: z.number().int(),
      defaultInterestSpread: Ratio,
      defaultAfterDaysPastDue: z.number().int().nullable(),
    }),
    owed: Owed.meta({ description: 'What the line owes now (ledger balances); default interest is part of interest' }),
    dueAtMaturity: orNull(Owed.extend({ total: MoneySchema, dueDate: CalendarDate })),
    amountDue: orNull(MoneySchema),
    oldestUnpaidDueDate: orNull(CalendarDate),
    daysPastDue: z.number().int(),
    bucket: DpdBucket,
    overdue: z.boolean().meta({ description: 'Days past due beyond the grace period' }),
    overduePrincipal: MoneySchema,
    billedInterestUnpaid: MoneySchema,
    defaultInterestPosted: MoneySchema,
    defaultDue: z.boolean().meta({ description: 'Days past due reached defaultAfterDaysPastDue: the line is (or is about to be made) IN_DEFAULT' }),
  })
  .meta({
    id: 'LineDelinquency',
    description:
      "A line's maturity, amount due and days past due (domain/delinquency.ts). asOf: the day (UTC) the figures are as of, today. " +
      'maturityDate: of the terms in force today; from it no draws, and everything owed is due. terms.defaultInterestSpread: a fraction per year over the contract rate. ' +
      'dueAtMaturity: what the line owed at the start of its maturity date, due on it (null before maturity). ' +
      'amountDue: from maturity everything owed is due — what was due at maturity, less payments, plus what was charged since (null before it). ' +
      'oldestUnpaidDueDate: due date of the oldest amount not yet paid (payments clear the oldest first), bills of interest and the maturity amount together. ' +
      'billedInterestUnpaid: interest billed (GET …/interest-bills) and not paid yet; before maturity, amountDue is the part of it due by today. ' +
      'overduePrincipal: principal overdue, which accrues default interest. defaultInterestPosted: Σ default interest posted (Cr DEFAULT_INTEREST_INCOME).',
  });

function lineView(record: LineDelinquencyRecord): z.infer<typeof LineDelinquencyView> {
  const owed = (o: { principal: { toJSON(): { amount: string; currency: string } }; interest: { toJSON(): { amount: string; currency: string } }; fees: { toJSON(): { amount: string; currency: string } } }) => ({
    principal: o.principal.toJSON(),
    interest: o.interest.toJSON(),
    fees: o.fees.toJSON(),
  });
  return {
    creditLineId: record.creditLineId,
    sellerOrganisationId: record.sellerOrganisationId,
    status: record.status,
    asOf: record.asOf,
    maturityDate: record.maturityDate,
    matured: record.matured,
    terms: delinquencyTermsAsJson(record.terms),
    owed: owed(record.owed),
    dueAtMaturity: record.dueAtMaturity && { ...owed(record.dueAtMaturity), total: record.dueAtMaturity.total.toJSON(), dueDate: record.dueAtMaturity.dueDate },
    amountDue: record.amountDue?.toJSON() ?? null,
    oldestUnpaidDueDate: record.oldestUnpaidDueDate,
    daysPastDue: record.daysPastDue,
    bucket: record.bucket,
    overdue: record.overdue,
    overduePrincipal: record.overduePrincipal.toJSON(),
    billedInterestUnpaid: record.billedInterestUnpaid.toJSON(),
    defaultInterestPosted: record.defaultInterestPosted.toJSON(),
    defaultDue: record.defaultDue,
  };
}

const PortfolioDelinquencyView = z
  .object({
    asOf: CalendarDate,
    lineCount: z.number().int().meta({ description: "The lender's lines in force (ACTIVE, FROZEN, IN_DEFAULT)" }),
    pastDueLineCount: z.number().int(),
    buckets: z.array(z.object({ bucket: DpdBucket, lineCount: z.number().int(), owed: z.array(MoneySchema).meta({ description: 'Σ owed of the bucket’s lines, one per currency' }) })),
    pastDueLines: z.array(LineDelinquencyView).meta({ description: `Lines past due, most days first, at most ${PORTFOLIO_PAST_DUE_LINES_MAX}` }),
  })
  .meta({ id: 'PortfolioDelinquency' });

export const delinquencyRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/delinquency',
    operationId: 'getLineDelinquency',
    summary: "A line's maturity, amount due, days past due, bucket and default threshold, as of today (lender and seller)",
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    success: { status: 200, description: "The line's delinquency", schema: LineDelinquencyView },
    handler: async ({ db, actor, params, now }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      return lineView(await delinquencyOfLine(db, line.id, utcDay(now)));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/portfolio/delinquency',
    operationId: 'getPortfolioDelinquency',
    summary: "Days past due across the caller's lender's lines in force: buckets (current, 1–30, 31–60, 61–90, 90+) and the lines past due (lenders only)",
    tag: 'Credit lines',
    problems: [403],
    success: { status: 200, description: 'The portfolio by days past due, as of today', schema: PortfolioDelinquencyView },
    handler: async ({ db, actor, now }) => {
      if (actor.organisationKind !== 'LENDER') throw new ForbiddenError(`a portfolio's delinquency is its lender's; your organisation is a ${actor.organisationKind}`);
      const portfolio = await portfolioDelinquency(db, actor.organisationId, utcDay(now));
      return {
        asOf: portfolio.asOf,
        lineCount: portfolio.lineCount,
        pastDueLineCount: portfolio.pastDueLineCount,
        buckets: portfolio.buckets.map((bucket) => ({ bucket: bucket.bucket, lineCount: bucket.lineCount, owed: bucket.owed.map((amount) => amount.toJSON()) })),
        pastDueLines: portfolio.pastDueLines.map(lineView),
      };
    },
  }),
];
