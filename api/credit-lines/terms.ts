/**
 * A line's terms versions: the history (GET /credit-lines/{lineId}/terms), proposing an amendment and the
 * decisions on it (domain/terms-amendment.ts, prisma/credit-lines/terms-versions.ts).
 */
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { effectiveFromProblem } from '../../domain/terms-amendment';
import { utcDay } from '../../domain/value-dates';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import {
  TERMS_VERSIONS_PAGE_MAX,
  actOnAmendment,
  amendmentBase,
  proposeAmendment,
  termsVersionsPage,
  type TermsVersionRecord,
} from '../../prisma/credit-lines/terms-versions';
import { defineRoute } from '../http/route';
import { CalendarDate, Timestamp, Uuid, orNull, decodeCursor, encodeCursor, pageOf } from '../http/schemas';
import { ApprovedWarehouseIds, CreditTermsWire, LineIdParams, creditTermsFromWire, creditTermsToWire, requireConsistentTerms } from './schemas';

const AMENDMENT_STATUSES = ['PENDING_APPROVAL', 'PENDING_ACCEPTANCE', 'AGREED', 'WITHDRAWN', 'DECLINED'] as const;

const TermsVersionView = z
  .object({
    versionNo: z.number().int().meta({ description: '1 is the terms the line was offered with; each amendment is the next' }),
    status: z.enum(AMENDMENT_STATUSES),
    effectiveFrom: CalendarDate,
    terms: CreditTermsWire.extend({ approvedWarehouseIds: z.array(Uuid) }),
    worsensForSeller: z.boolean(),
    worsenings: z.array(z.string()).meta({ description: "The fields in which this version is worse for the seller than the one before it (domain/terms-amendment.ts); the seller accepts those" }),
    proposedBy: Uuid.nullable(),
    proposedAt: Timestamp,
    approvedBy: Uuid.nullable(),
    approvedAt: orNull(Timestamp),
    acceptedBy: Uuid.nullable(),
    acceptedAt: orNull(Timestamp),
    closedBy: Uuid.nullable().meta({ description: 'Who withdrew or declined it' }),
    closedAt: orNull(Timestamp),
    appliedAt: orNull(Timestamp),
  })
  .meta({
    id: 'TermsVersion',
    description:
      'effectiveFrom: in force from this day (UTC) once AGREED, until the next agreed version. appliedAt: when it became the line\'s terms of today (valuation, draws, fees, margin); ' +
      "accrual uses each day's version whatever appliedAt says",
  });

function versionView(version: TermsVersionRecord): z.infer<typeof TermsVersionView> {
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  return {
    versionNo: version.versionNo,
    status: version.status,
    effectiveFrom: version.effectiveFrom,
    terms: { ...creditTermsToWire(version.terms), approvedWarehouseIds: [...version.terms.approvedWarehouseIds].sort() },
    worsensForSeller: version.worsensForSeller,
    worsenings: version.worsenings,
    proposedBy: version.proposedBy,
    proposedAt: version.proposedAt.toISOString(),
    approvedBy: version.approvedBy,
    approvedAt: iso(version.approvedAt),
    acceptedBy: version.acceptedBy,
    acceptedAt: iso(version.acceptedAt),
    closedBy: version.closedBy,
    closedAt: iso(version.closedAt),
    appliedAt: iso(version.appliedAt),
  };
}

/** Each field given replaces the field of the latest agreed version whole (feeSchedule included); the currency is never amended. */
const TermsChanges = z
  .object({
    ...Object.fromEntries(
      Object.entries(CreditTermsWire.shape)
        .filter(([field]) => field !== 'currency')
        .map(([field, schema]) => [field, (schema instanceof z.ZodDefault ? schema.unwrap() : schema).optional()]),
    ),
    approvedWarehouseIds: ApprovedWarehouseIds.optional(),
  })
  .strict() as unknown as z.ZodType<Partial<Omit<CreditTermsWire, 'currency'>> & { approvedWarehouseIds?: string[] }>;

const ProposeAmendmentBody = z
  .object({ effectiveFrom: CalendarDate, terms: TermsChanges })
  .meta({ description: 'effectiveFrom: the first day (UTC) of the new terms, today or later' });

const VersionParams = z.object({ lineId: Uuid, versionNo: z.coerce.number().int().min(1).max(2_147_483_647) });

function decisionRoute(action: 'approve' | 'accept' | 'withdraw' | 'decline', summary: string) {
  return defineRoute({
    method: 'post',
    path: `/credit-lines/{lineId}/terms/{versionNo}/${action}`,
    operationId: `${action}TermsAmendment`,
    summary,
    tag: 'Credit lines',
    problems: [403, 404, 409, 422],
    params: VersionParams,
    success: { status: 200, description: 'The amendment in its new status', schema: TermsVersionView },
    handler: async ({ db, actor, params, now }) => versionView(await actOnAmendment(db, actor, params.lineId, params.versionNo, action, now)),
  });
}

export const termsRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/terms',
    operationId: 'listTermsVersions',
    summary: "A line's terms versions, oldest first: what was agreed, from when, and every amendment proposed (lender and seller only)",
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    query: z.object({ cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(TERMS_VERSIONS_PAGE_MAX).default(50) }),
    success: { status: 200, description: 'One page of versions; nextCursor is null on the last', schema: pageOf(TermsVersionView) },
    handler: async ({ db, actor, params, query }) => {
      const position = decodeCursor(query.cursor, ['versionNo']);
      if (position && !/^[1-9]\d{0,9}$/.test(position.versionNo)) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const versions = await termsVersionsPage(db, line.id, { afterVersionNo: position ? Number(position.versionNo) : null, limit: query.limit });
      const last = versions.at(-1);
      return { items: versions.map(versionView), nextCursor: versions.length === query.limit && last ? encodeCursor({ versionNo: String(last.versionNo) }) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/terms',
    operationId: 'proposeTermsAmendment',
    summary:
      "Propose an amendment of a line's terms from a date (lender OPERATOR or ADMIN): the fields given replace those of the latest agreed version. A second lender user approves it; the seller's ADMIN accepts it when it worsens the seller's terms",
    tag: 'Credit lines',
    problems: [403, 404, 409, 422],
    params: LineIdParams,
    body: ProposeAmendmentBody,
    success: { status: 201, description: 'The amendment, PENDING_APPROVAL', schema: TermsVersionView },
    handler: async ({ db, actor, params, body, now }) => {
      const dateProblem = effectiveFromProblem(body.effectiveFrom, utcDay(now));
      if (dateProblem) throw new ValidationError('body.effectiveFrom', dateProblem);
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const base = await amendmentBase(db, line);
      const { approvedWarehouseIds, ...changes } = body.terms;
      const merged = CreditTermsWire.parse({ ...creditTermsToWire(base.terms), ...changes });
      const terms = creditTermsFromWire(merged);
      requireConsistentTerms(terms);
      const version = await proposeAmendment(db, actor, line.id, { effectiveFrom: body.effectiveFrom, terms: { ...terms, approvedWarehouseIds: approvedWarehouseIds ?? base.terms.approvedWarehouseIds } }, now);
      return versionView(version);
    },
  }),
  decisionRoute('approve', 'Approve an amendment (a lender ADMIN, APPROVER or OPERATOR other than its proposer): AGREED, or PENDING_ACCEPTANCE when it worsens the seller\'s terms'),
  decisionRoute('accept', "Accept an amendment that worsens your terms (the seller's ADMIN): AGREED"),
  decisionRoute('withdraw', 'Withdraw a pending amendment (lender ADMIN or OPERATOR)'),
  decisionRoute('decline', "Decline an amendment waiting for your acceptance (the seller's ADMIN)"),
];
