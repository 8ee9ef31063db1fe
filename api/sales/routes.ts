import { z } from 'zod';
import { D } from '../../domain/money';
import { utcDay } from '../../domain/value-dates';
import {
  recordDirectRepayment,
  recordSalePayment,
  recordSellerPayout,
  repaymentsOfSale,
  reportSale,
  salesOfLine,
  SALES_PAGE_MAX,
  saleVisibleTo,
} from '../../prisma/sales/store';
import { saleReadableBy } from '../../prisma/sales/lists';
import {
  DEFAULT_RELEASE_POLL_INTERVAL_MS,
  DEFAULT_RELEASE_REMINDER_AFTER_MS,
  SALE_SETTLEMENT_WORKFLOW,
  type SaleSettlementArgs,
} from '../../workflows/sales/definitions';
import { defineRoute } from '../http/route';
import { PageQuery, Uuid, decodeCursor, encodeCursor, pageOf } from '../http/schemas';
import { WorkflowStartView, workflowStartView } from '../outbox/views';
import { afterRepaymentRecorded } from './after-repayment';
import {
  AllocationView,
  CashReceivedBody,
  RepaymentView,
  ReportSaleBody,
  SaleView,
  SellerPayoutBody,
  SellerPayoutView,
  repaymentView,
  saleView,
  sellerPayoutView,
} from './schemas';

const TAG = 'Sales and repayments';
const LineParams = z.object({ lineId: Uuid });
const SaleParams = z.object({ saleId: Uuid });

/** Payments embedded in GET /sales/{id}; the rest are paged from GET /sales/{id}/payments. */
export const SALE_PAYMENTS_EMBEDDED_MAX = 20;

const SaleDetail = SaleView.extend({
  payments: z.array(RepaymentView).meta({ description: `The first ${SALE_PAYMENTS_EMBEDDED_MAX} payments, oldest first` }),
  paymentsTruncated: z.boolean().meta({ description: `True when the sale has more than ${SALE_PAYMENTS_EMBEDDED_MAX} payments: the rest are at paymentsNext` }),
  paymentsNext: z
    .string()
    .nullable()
    .meta({ description: 'When truncated, the link to the next page of GET /sales/{saleId}/payments (after the embedded ones); null when every payment is embedded' }),
  workflowStart: WorkflowStartView.nullable().meta({ description: "Where the start of the sale's settlement workflow stands" }),
}).meta({ id: 'SaleDetail' });
const RecordedPayment = z.object({ repayment: RepaymentView, allocation: AllocationView, sale: SaleView.nullable() }).meta({ id: 'RecordedRepayment' });

export const salesRoutes = [
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/sales',
    operationId: 'reportSale',
    summary: "The seller reports a sale of goods pledged to the line; a workflow then waits for the buyer's payments",
    tag: TAG,
    problems: [403, 404],
    params: LineParams,
    body: ReportSaleBody,
    success: { status: 201, description: 'The sale, OPEN', schema: SaleView },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      // Accepted even while Temporal is unavailable: the sale happened, the buyer pays anyway, and its
      // workflow, written to the outbox with it, starts as soon as Temporal answers and reads the sale
      // from the database (paid → release, past its due date unpaid → lapse). GET /sales/{id} shows it pending.
      const sale = await reportSale(db, actor, params.lineId, {
        buyerOrganisationId: body.buyerOrganisationId,
        ...(body.pricePerUnit !== undefined
          ? { currency: body.pricePerUnit.currency, currencyField: 'body.pricePerUnit.currency', pricePerUnit: new D(body.pricePerUnit.amount), pricePerUnitUnit: body.pricePerUnit.unit }
          : { currency: body.totalPrice!.currency, currencyField: 'body.totalPrice.currency', totalPrice: new D(body.totalPrice!.amount) }),
        items: body.items.map((item) => ({ lotId: item.lotId, quantity: new D(item.quantity.amount) })),
        itemUnits: body.items.map((item) => item.quantity.unit),
        paymentDueDate: body.paymentDueDate,
        today: now.toISOString().slice(0, 10),
        now,
      });
      const args: SaleSettlementArgs = {
        saleId: sale.id,
        paymentDueDate: body.paymentDueDate,
        releaseReminderAfterMs: DEFAULT_RELEASE_REMINDER_AFTER_MS,
        releasePollIntervalMs: DEFAULT_RELEASE_POLL_INTERVAL_MS,
      };
      await outbox.start(SALE_SETTLEMENT_WORKFLOW, { workflowId: sale.workflowId, args: [args] });
      return saleView(sale);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/sales',
    operationId: 'listSales',
    summary: 'Sales on a line, newest first (lender and seller)',
    tag: TAG,
    problems: [404],
    params: LineParams,
    // At most what the store answers in one page, so that a full page always says where the next starts.
    query: PageQuery.extend({ limit: z.coerce.number().int().min(1).max(SALES_PAGE_MAX).default(50) }),
    success: { status: 200, description: 'One page of sales', schema: pageOf(SaleView) },
    handler: async ({ db, actor, params, query }) => {
      const cursor = decodeCursor(query.cursor, ['afterId']);
      const sales = await salesOfLine(db, actor.organisationId, params.lineId, { afterSaleId: cursor?.afterId ?? null, limit: query.limit });
      return { items: sales.map(saleView), nextCursor: sales.length === query.limit ? encodeCursor({ afterId: sales[sales.length - 1].id }) : null };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/sales/{saleId}',
    operationId: 'getSale',
    summary:
      "A sale with its payments (lender, seller and buyer); the warehouse holding its goods reads it too, to release them, but not the buyer's payments (payments is empty for it)",
    tag: TAG,
    problems: [404],
    params: SaleParams,
    success: { status: 200, description: 'The sale', schema: SaleDetail },
    handler: async ({ db, actor, params }) => {
      const { sale, reader } = await saleReadableBy(db, actor.organisationId, params.saleId);
      // The warehouse holding the goods reads the sale its release order names, not its payments.
      const payments = reader === 'WAREHOUSE' ? [] : await repaymentsOfSale(db, sale.id, { afterId: null, limit: SALE_PAYMENTS_EMBEDDED_MAX + 1 });
      const embedded = payments.slice(0, SALE_PAYMENTS_EMBEDDED_MAX);
      const truncated = payments.length > SALE_PAYMENTS_EMBEDDED_MAX;
      return {
        ...saleView(sale),
        payments: embedded.map(repaymentView),
        paymentsTruncated: truncated,
        paymentsNext: truncated ? `/sales/${sale.id}/payments?cursor=${encodeCursor({ afterId: embedded[embedded.length - 1].id })}` : null,
        workflowStart: await workflowStartView(db, sale.workflowId),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/sales/{saleId}/payments',
    operationId: 'listSalePayments',
    summary: "A sale's payments, oldest first, paged (lender, seller and buyer)",
    tag: TAG,
    problems: [404],
    params: SaleParams,
    query: PageQuery,
    success: { status: 200, description: 'One page of payments; nextCursor is null on the last', schema: pageOf(RepaymentView) },
    handler: async ({ db, actor, params, query }) => {
      const cursor = decodeCursor(query.cursor, ['afterId']);
      const sale = await saleVisibleTo(db, actor.organisationId, params.saleId);
      const payments = await repaymentsOfSale(db, sale.id, { afterId: cursor?.afterId ?? null, limit: query.limit + 1 });
      const page = payments.slice(0, query.limit);
      return { items: page.map(repaymentView), nextCursor: payments.length > query.limit ? encodeCursor({ afterId: page[page.length - 1].id }) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/sales/{saleId}/payments',
    operationId: 'recordSalePayment',
    summary: "The lender records a buyer's payment into the collection account; it runs through the line's waterfall (overpayment is refused)",
    tag: TAG,
    problems: [403, 404],
    params: SaleParams,
    body: CashReceivedBody,
    success: { status: 201, description: 'The repayment and how it was applied', schema: RecordedPayment },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      // Cash that reached the collection account is recorded whatever Temporal's state; the outbox tells the workflows.
      const recorded = await recordSalePayment(db, actor, params.saleId, { amount: new D(body.amount.amount), currency: body.amount.currency, receivedOn: body.receivedOn, reference: body.reference, today: utcDay(now), now });
      const sale = recorded.sale!;
      await afterRepaymentRecorded(outbox, { creditLineId: sale.creditLineId, repaymentId: recorded.repayment.id, kind: 'SALE_PAYMENT', saleWorkflowId: sale.workflowId });
      const view = repaymentView(recorded.repayment);
      return { repayment: view, allocation: view.allocation, sale: saleView(sale) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/repayments',
    operationId: 'recordDirectRepayment',
    summary: "The lender records the seller repaying from its own funds: fees, interest, principal in the line's waterfall order",
    tag: TAG,
    problems: [403, 404],
    params: LineParams,
    body: CashReceivedBody,
    success: { status: 201, description: 'The repayment and how it was applied', schema: RecordedPayment },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      const recorded = await recordDirectRepayment(db, actor, params.lineId, { amount: new D(body.amount.amount), currency: body.amount.currency, receivedOn: body.receivedOn, reference: body.reference, today: utcDay(now) });
      await afterRepaymentRecorded(outbox, { creditLineId: params.lineId, repaymentId: recorded.repayment.id, kind: 'DIRECT_REPAYMENT', saleWorkflowId: null });
      const view = repaymentView(recorded.repayment);
      return { repayment: view, allocation: view.allocation, sale: null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/seller-payouts',
    operationId: 'recordSellerPayout',
    summary: 'The lender records paying out what the line owes the seller (at most the seller payable)',
    tag: TAG,
    problems: [403, 404],
    params: LineParams,
    body: SellerPayoutBody,
    success: { status: 201, description: 'The payout', schema: SellerPayoutView },
    handler: async ({ db, actor, params, body, now }) =>
      sellerPayoutView(await recordSellerPayout(db, actor, params.lineId, { amount: new D(body.amount.amount), currency: body.amount.currency, paidOn: body.paidOn, reference: body.reference, today: utcDay(now) })),
  }),
];
