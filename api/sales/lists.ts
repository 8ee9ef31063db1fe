import { SALE_LISTS_PAGE_MAX, payoutsVisibleTo, repaymentsVisibleTo, salesVisibleTo } from '../../prisma/sales/lists';
import { defineRoute } from '../http/route';
import { Uuid, afterIdOf, listQuery, pageFrom, pageOf, periodWhere } from '../http/schemas';
import { RepaymentView, SaleView, SellerPayoutView, repaymentView, saleView, sellerPayoutView } from './schemas';

const TAG = 'Sales and repayments';

export const salesListRoutes = [
  defineRoute({
    method: 'get',
    path: '/sales',
    operationId: 'listSalesAcrossLines',
    summary: "Sales on every line you are lender or seller on, and a buyer's purchases, newest first; from/to filter on when the sale was reported",
    tag: TAG,
    query: listQuery({ status: SaleView.shape.status.optional(), creditLineId: Uuid.optional(), buyerOrganisationId: Uuid.optional() }, SALE_LISTS_PAGE_MAX),
    success: { status: 200, description: 'One page of sales; nextCursor is null on the last', schema: pageOf(SaleView) },
    handler: async ({ db, actor, query }) => {
      const { status, creditLineId, buyerOrganisationId } = query;
      return pageFrom(
        await salesVisibleTo(db, actor.organisationId, { status, creditLineId, buyerOrganisationId, reported: periodWhere(query), afterId: afterIdOf(query.cursor), limit: query.limit }),
        query.limit,
        saleView,
      );
    },
  }),
  defineRoute({
    method: 'get',
    path: '/repayments',
    operationId: 'listRepayments',
    summary:
      "Cash received on every line you are lender or seller on and how the waterfall applied it: buyers' payments for sales (kind=SALE_PAYMENT) and the seller's direct repayments, newest value date first; from/to filter on the value date",
    tag: TAG,
    query: listQuery({ kind: RepaymentView.shape.kind.optional(), creditLineId: Uuid.optional(), saleId: Uuid.optional() }, SALE_LISTS_PAGE_MAX),
    success: { status: 200, description: 'One page of repayments; nextCursor is null on the last', schema: pageOf(RepaymentView) },
    handler: async ({ db, actor, query }) => {
      const { kind, creditLineId, saleId } = query;
      return pageFrom(
        await repaymentsVisibleTo(db, actor.organisationId, { kind, creditLineId, saleId, received: periodWhere(query), afterId: afterIdOf(query.cursor), limit: query.limit }),
        query.limit,
        repaymentView,
      );
    },
  }),
  defineRoute({
    method: 'get',
    path: '/seller-payouts',
    operationId: 'listSellerPayouts',
    summary: 'What the lender paid out to the seller on every line you are lender or seller on, newest value date first; from/to filter on the value date',
    tag: TAG,
    query: listQuery({ creditLineId: Uuid.optional() }, SALE_LISTS_PAGE_MAX),
    success: { status: 200, description: 'One page of payouts; nextCursor is null on the last', schema: pageOf(SellerPayoutView) },
    handler: async ({ db, actor, query }) =>
      pageFrom(
        await payoutsVisibleTo(db, actor.organisationId, { creditLineId: query.creditLineId, paid: periodWhere(query), afterId: afterIdOf(query.cursor), limit: query.limit }),
        query.limit,
        sellerPayoutView,
      ),
  }),
];
