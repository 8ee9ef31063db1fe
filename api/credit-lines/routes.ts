import { ValidationError } from '../../domain/errors';
import {
  acceptCreditLine,
  closeCreditLine,
  declineCreditLine,
  withdrawCreditLine,
  creditLinesVisibleTo,
  creditLineVisibleTo,
  freezeCreditLine,
  lineOutstanding,
  offerCreditLine,
  requireLenderAdmin,
  unfreezeCreditLine,
  type CreditLineRecord,
  type LineOutstanding,
} from '../../prisma/credit-lines/store';
import { lineAccrualStatus } from '../../prisma/accrual/store';
import type { Db } from '../../prisma/client';
import { defineRoute } from '../http/route';
import { decodeCursor, encodeCursor, pageOf, PageQuery, Uuid } from '../http/schemas';
import {
  CreditLineDetail,
  CreditLineSummary,
  LineIdParams,
  OpenCreditLineBody,
  creditTermsFromWire,
  creditTermsToWire,
  requireConsistentTerms,
} from './schemas';

function summaryView(line: CreditLineRecord) {
  return {
    id: line.id,
    lenderOrganisationId: line.lenderOrganisationId,
    sellerOrganisationId: line.sellerOrganisationId,
    status: line.status,
    terms: { ...creditTermsToWire(line.terms), approvedWarehouseIds: line.approvedWarehouseIds },
    acceptedAt: line.acceptedAt?.toISOString() ?? null,
    createdAt: line.createdAt.toISOString(),
    updatedAt: line.updatedAt.toISOString(),
  };
}

function detailView(line: CreditLineRecord, outstanding: LineOutstanding) {
  return {
    ...summaryView(line),
    outstanding: {
      principal: outstanding.principal.toJSON(),
      interestReceivable: outstanding.interestReceivable.toJSON(),
      feesReceivable: outstanding.feesReceivable.toJSON(),
    },
  };
}

async function detailOf(db: Db, line: CreditLineRecord) {
  const accrual = await lineAccrualStatus(db, line.id);
  return {
    ...detailView(line, await lineOutstanding(db, line)),
    accrual: {
      lastAccruedDate: accrual.lastAccruedDate,
      failure: accrual.failure && { ...accrual.failure, since: accrual.failure.since.toISOString(), lastAttemptAt: accrual.failure.lastAttemptAt.toISOString() },
    },
  };
}

function statusChangeRoute(change: 'accept' | 'decline' | 'withdraw' | 'freeze' | 'unfreeze' | 'close', summary: string, act: typeof freezeCreditLine) {
  return defineRoute({
    method: 'post',
    path: `/credit-lines/{lineId}/${change}`,
    operationId: `${change}CreditLine`,
    summary,
    tag: 'Credit lines',
    problems: [403, 404, 409, 422],
    params: LineIdParams,
    success: { status: 200, description: 'The line in its new status', schema: CreditLineDetail },
    handler: async ({ db, actor, params, now }) => detailOf(db, await act(db, actor, params.lineId, now)),
  });
}

export const creditLineRoutes = [
  defineRoute({
    method: 'post',
    path: '/credit-lines',
    operationId: 'openCreditLine',
    summary:
      'Offer a credit line to one of your SELLER counterparts (lender ADMIN); creates the line, OFFERED, and its ledger accounts. It works only once the seller accepts it',
    tag: 'Credit lines',
    problems: [403, 422],
    body: OpenCreditLineBody,
    success: { status: 201, description: 'The line, OFFERED, with nothing outstanding', schema: CreditLineDetail },
    handler: async ({ db, actor, body }) => {
      requireLenderAdmin(actor);
      const { approvedWarehouseIds, ...wireTerms } = body.terms;
      const terms = creditTermsFromWire(wireTerms);
      requireConsistentTerms(terms);
      return detailOf(db, await offerCreditLine(db, actor, { sellerOrganisationId: body.sellerOrganisationId, terms, approvedWarehouseIds }));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines',
    operationId: 'listCreditLines',
    summary: 'Credit lines your organisation is lender or seller on, newest first',
    tag: 'Credit lines',
    query: PageQuery,
    success: { status: 200, description: 'A page of lines', schema: pageOf(CreditLineSummary) },
    handler: async ({ db, actor, query }) => {
      const position = decodeCursor(query.cursor, ['lineId']);
      if (position && !Uuid.safeParse(position.lineId).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
      const lines = await creditLinesVisibleTo(db, actor.organisationId, { afterLineId: position?.lineId ?? null, limit: query.limit });
      const last = lines.at(-1);
      return { items: lines.map(summaryView), nextCursor: lines.length === query.limit && last ? encodeCursor({ lineId: last.id }) : null };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}',
    operationId: 'getCreditLine',
    summary: 'A credit line: terms, status, and what is outstanding according to its ledger (lender and seller only)',
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    success: { status: 200, description: 'The line', schema: CreditLineDetail },
    handler: async ({ db, actor, params }) => detailOf(db, await creditLineVisibleTo(db, actor.organisationId, params.lineId)),
  }),
  statusChangeRoute('accept', "Accept an OFFERED line: it becomes ACTIVE (the seller's ADMIN)", acceptCreditLine),
  statusChangeRoute('decline', "Decline an OFFERED line (the seller's ADMIN)", declineCreditLine),
  statusChangeRoute('withdraw', "Withdraw an offer the seller has not accepted (the lender's ADMIN or APPROVER)", withdrawCreditLine),
  statusChangeRoute('freeze', 'Freeze an ACTIVE line: no new draws (lender ADMIN or APPROVER)', freezeCreditLine),
  statusChangeRoute('unfreeze', 'Unfreeze a FROZEN line (lender ADMIN or APPROVER)', unfreezeCreditLine),
  statusChangeRoute('close', 'Close a line once no principal, interest or fees are owed (lender ADMIN or APPROVER)', closeCreditLine),
];
