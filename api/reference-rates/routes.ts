/** Reference rates (SOFR, EURIBOR 3M, LPR 1Y…) a lender registers, and their fixings (prisma/reference-rates/store.ts). */
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { D } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import { FIXINGS_PAGE_MAX, fixingsPage, postFixing, referenceRateOf, referenceRatesOf, registerReferenceRate, type FixingRecord, type ReferenceRateRecord } from '../../prisma/reference-rates/store';
import { defineRoute } from '../http/route';
import { CalendarDate, Ratio, Timestamp, PageQuery, Uuid, afterIdOf, decodeCursor, encodeCursor, listQuery, pageOf } from '../http/schemas';

const MAX_FIXING_AGE_DAYS_MAX = 3650;

const ReferenceRateView = z
  .object({
    id: Uuid,
    code: z.string(),
    name: z.string(),
    maxFixingAgeDays: z.number().int().meta({ description: 'A fixing older than this on the day it is used is stale: used, and the accrual flagged STALE_FIXING' }),
    createdAt: Timestamp,
  })
  .meta({ id: 'ReferenceRate' });

const FixingView = z
  .object({ referenceRateId: Uuid, effectiveDate: CalendarDate, rate: Ratio, postedBy: Uuid, postedAt: Timestamp })
  .meta({ id: 'RateFixing' });

const rateView = (rate: ReferenceRateRecord) => ({ id: rate.id, code: rate.code, name: rate.name, maxFixingAgeDays: rate.maxFixingAgeDays, createdAt: rate.createdAt.toISOString() });
const fixingView = (fixing: FixingRecord) => ({ referenceRateId: fixing.referenceRateId, effectiveDate: fixing.effectiveDate, rate: fixing.rate.toFixed(), postedBy: fixing.postedBy, postedAt: fixing.postedAt.toISOString() });

/**
 * A fixing: the Ratio component (a fraction per year, possibly negative, at most 10 places: NUMERIC(20, 10)),
 * between −1 and 1. The range is checked beside the field, so that the field stays the shared component.
 */
const FixingBody = z
  .object({ effectiveDate: CalendarDate, rate: Ratio })
  .superRefine((body, ctx) => {
    // zod runs this even when the field itself failed: judge the range only of a rate the component accepted.
    if (Ratio.safeParse(body.rate).success && new D(body.rate).abs().gt(1)) ctx.addIssue({ code: 'custom', path: ['rate'], message: 'must be between -1 and 1 (a fraction per year: "0.0431" means 4.31 %)' });
  });

const RateParams = z.object({ referenceRateId: Uuid });

export const referenceRateRoutes = [
  defineRoute({
    method: 'post',
    path: '/reference-rates',
    operationId: 'registerReferenceRate',
    summary: 'Register a reference rate for floating-rate lines (lender ADMIN)',
    tag: 'Reference rates',
    problems: [403, 409],
    body: z.object({
      code: z.string().trim().min(1).max(32).meta({ example: 'SOFR' }),
      name: z.string().trim().min(1).max(200).meta({ example: 'Secured Overnight Financing Rate' }),
      maxFixingAgeDays: z.int().min(0).max(MAX_FIXING_AGE_DAYS_MAX).meta({ description: 'e.g. 4 for a daily rate (a long weekend), 35 for a monthly one' }),
    }),
    success: { status: 201, description: 'The reference rate', schema: ReferenceRateView },
    handler: async ({ db, actor, body }) => rateView(await registerReferenceRate(db, actor, body)),
  }),
  defineRoute({
    method: 'get',
    path: '/reference-rates',
    operationId: 'listReferenceRates',
    summary: 'The reference rates your organisation registered',
    tag: 'Reference rates',
    query: PageQuery,
    success: { status: 200, description: 'A page of reference rates', schema: pageOf(ReferenceRateView) },
    handler: async ({ db, actor, query }) => {
      const rates = await referenceRatesOf(db, actor.organisationId, { afterId: afterIdOf(query.cursor), limit: query.limit });
      const last = rates.at(-1);
      return { items: rates.map(rateView), nextCursor: rates.length === query.limit && last ? encodeCursor({ id: last.id }) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/reference-rates/{referenceRateId}/fixings',
    operationId: 'postRateFixing',
    summary: "Post a fixing of a reference rate, in force from its effective date (today or earlier) until the next (the lender's ADMIN or OPERATOR); append-only",
    tag: 'Reference rates',
    problems: [403, 404, 409, 422],
    params: RateParams,
    body: FixingBody,
    success: { status: 201, description: 'The fixing', schema: FixingView },
    handler: async ({ db, actor, params, body, now }) => fixingView(await postFixing(db, actor, params.referenceRateId, { effectiveDate: body.effectiveDate, rate: new D(body.rate) }, utcDay(now))),
  }),
  defineRoute({
    method: 'get',
    path: '/reference-rates/{referenceRateId}/fixings',
    operationId: 'listRateFixings',
    summary: "A reference rate's fixings by effective date, oldest first; from/to filter on the effective date (the lender that registered it)",
    tag: 'Reference rates',
    problems: [404],
    params: RateParams,
    query: listQuery({}, FIXINGS_PAGE_MAX),
    success: { status: 200, description: 'One page of fixings; nextCursor is null on the last', schema: pageOf(FixingView) },
    handler: async ({ db, actor, params, query }) => {
      const position = decodeCursor(query.cursor, ['effectiveDate']);
      if (position && !CalendarDate.safeParse(position.effectiveDate).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
      const rate = await referenceRateOf(db, actor.organisationId, params.referenceRateId);
      const rows = await fixingsPage(db, rate.id, { from: query.from, to: query.to, afterDate: position?.effectiveDate ?? null, limit: query.limit });
      const page = rows.slice(0, query.limit);
      return { items: page.map(fixingView), nextCursor: rows.length > query.limit ? encodeCursor({ effectiveDate: page[page.length - 1].effectiveDate }) : null };
    },
  }),
];
