import { z } from 'zod';
import { D } from '../../domain/money';
import { decText } from '../../prisma/custody/store';
import type { MarginCall } from '../../prisma/generated/client';
import { recordLiquidationSale } from '../../prisma/margin/liquidation';
import { MARGIN_CALLS_PAGE_MAX, marginCallsOfLine, startPastDueLiquidation } from '../../prisma/margin/store';
import { defineRoute } from '../http/route';
import { afterIdOf, notNegativeAt, CalendarDate, decodeCursor, encodeCursor, listQuery, MoneySchema, moneyOf, moneyShown, orNull, pageFrom, pageOf, periodWhere, Quantity, Ratio, Timestamp, Uuid } from '../http/schemas';
import { AllocationView } from '../sales/schemas';
import { marginCallsVisibleTo } from '../../prisma/margin/lists';
import { revalueLines } from './revaluation';

const TAG = 'Margin calls';

const MarginCallView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    status: z.enum(['OPEN', 'CURED', 'LIQUIDATING', 'SETTLED']),
    cause: z.enum(['LTV_ABOVE_MARGIN_CALL', 'INELIGIBLE_COLLATERAL']).meta({
      description: 'LTV_ABOVE_MARGIN_CALL: the price; INELIGIBLE_COLLATERAL: pledged goods that do not count now (stale or missing mark, overdue count, hold) — making them eligible again also cures it',
    }),
    currency: z.string(),
    openedAt: Timestamp,
    cureDeadline: orNull(Timestamp).meta({ description: 'Null for a call that went straight to liquidation' }),
    targetLtv: Ratio,
    outstandingPrincipalAtOpen: MoneySchema,
    collateralValueAtOpen: MoneySchema,
    outstandingPrincipal: MoneySchema,
    collateralValue: MoneySchema,
    requiredRepayment: MoneySchema,
    requiredAdditionalCollateralValue: MoneySchema,
    evaluatedAt: Timestamp,
    curedAt: orNull(Timestamp),
    liquidationReason: z.enum(['CURE_DEADLINE_PASSED', 'LIQUIDATION_THRESHOLD', 'PAST_DUE']).nullable(),
    liquidationStartedAt: orNull(Timestamp),
    settledAt: orNull(Timestamp),
  })
  .meta({
    id: 'MarginCall',
    description:
      'outstandingPrincipal and collateralValue (eligible, after haircut) are at the latest evaluation. requiredRepayment: the repayment that alone restores the target LTV ' +
      "through the line's waterfall (fees and interest owed ahead of principal, then principal; 0 once cured); requiredAdditionalCollateralValue: the collateral value " +
      "(after haircut) that alone restores it. Collateral values are shown rounded half-even to the currency's scale, requirements rounded up, so that meeting what is shown always suffices.",
  });

function marginCallView(call: MarginCall): z.infer<typeof MarginCallView> {
  const iso = (value: Date | null) => value?.toISOString() ?? null;
  return {
    id: call.id,
    creditLineId: call.creditLineId,
    status: call.status,
    cause: call.cause,
    currency: call.currency,
    openedAt: call.openedAt.toISOString(),
    cureDeadline: iso(call.cureDeadline),
    targetLtv: decText(call.targetLtv),
    outstandingPrincipalAtOpen: moneyOf(call.outstandingPrincipalAtOpen, call.currency),
    collateralValueAtOpen: moneyShown(call.collateralValueAtOpen, call.currency),
    outstandingPrincipal: moneyOf(call.outstandingPrincipal, call.currency),
    collateralValue: moneyShown(call.collateralValue, call.currency),
    requiredRepayment: moneyShown(call.requiredRepayment, call.currency, D.ROUND_UP),
    requiredAdditionalCollateralValue: moneyShown(call.requiredAdditionalCollateralValue, call.currency, D.ROUND_UP),
    evaluatedAt: call.evaluatedAt.toISOString(),
    curedAt: iso(call.curedAt),
    liquidationReason: call.liquidationReason,
    liquidationStartedAt: iso(call.liquidationStartedAt),
    settledAt: iso(call.settledAt),
  };
}

const LineParams = z.object({ lineId: Uuid });

export const marginRoutes = [
  defineRoute({
    method: 'get',
    path: '/margin-calls',
    operationId: 'listMarginCallsAcrossLines',
    summary:
      'Margin calls across every line you are lender or seller on, newest first (status=OPEN: what must be cured now; LIQUIDATING: lines in liquidation); from/to filter on when the call opened',
    tag: TAG,
    query: listQuery({ status: MarginCallView.shape.status.optional(), creditLineId: Uuid.optional() }, MARGIN_CALLS_PAGE_MAX),
    success: { status: 200, description: 'One page of margin calls; nextCursor is null on the last', schema: pageOf(MarginCallView) },
    handler: async ({ db, actor, query }) =>
      pageFrom(
        await marginCallsVisibleTo(db, actor.organisationId, { status: query.status, creditLineId: query.creditLineId, opened: periodWhere(query), afterId: afterIdOf(query.cursor), limit: query.limit }),
        query.limit,
        marginCallView,
      ),
  }),
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/margin-calls',
    operationId: 'listMarginCalls',
    summary: "A line's margin calls, newest first, with what each still needs to cure (lender or seller of the line)",
    tag: TAG,
    problems: [404],
    params: LineParams,
    query: z.object({ cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(MARGIN_CALLS_PAGE_MAX).default(50) }),
    success: { status: 200, description: 'One page of margin calls', schema: pageOf(MarginCallView) },
    handler: async ({ db, actor, params, query }) => {
      const cursor = decodeCursor(query.cursor, ['openedAt', 'id']);
      const calls = await marginCallsOfLine(db, actor, params.lineId, {
        beforeId: cursor ? { openedAt: new Date(cursor.openedAt), id: cursor.id } : null,
        limit: query.limit,
      });
      const last = calls[calls.length - 1];
      return {
        items: calls.map(marginCallView),
        nextCursor: calls.length === query.limit ? encodeCursor({ openedAt: last.openedAt.toISOString(), id: last.id }) : null,
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/liquidation',
    operationId: 'startPastDueLiquidation',
    summary:
      "The lender (ADMIN or APPROVER) starts a liquidation of a line IN_DEFAULT by days past due (GET /credit-lines/{lineId}/delinquency): the path of an uncured margin call, a LIQUIDATING call (reason PAST_DUE) demanding everything owed; then POST …/liquidation-sales",
    tag: TAG,
    problems: [403, 404, 409, 422],
    params: LineParams,
    success: { status: 201, description: 'The liquidating margin call', schema: MarginCallView },
    handler: async ({ db, actor, params, now }) => marginCallView(await startPastDueLiquidation(db, params.lineId, actor, now)),
  }),
  defineRoute({
    method: 'post',
    path: '/credit-lines/{lineId}/liquidation-sales',
    operationId: 'recordLiquidationSale',
    summary:
      "The lender sells pledged goods of a line in liquidation, without the seller: the goods' release is authorised and the proceeds run through the line's waterfall; the rest is owed to the seller",
    tag: TAG,
    problems: [403, 404, 409, 422],
    params: LineParams,
    body: z.object({
      lotId: Uuid,
      quantity: Quantity,
      proceeds: MoneySchema,
      receivedOn: CalendarDate,
      reference: z.string().trim().min(1).max(200).optional(),
    }).superRefine(notNegativeAt(['quantity', 'amount'], ['proceeds', 'amount'])),
    success: {
      status: 201,
      description: 'The release authorisation, how the proceeds were applied and where the margin call stands',
      schema: z
        .object({
          releaseOrderId: Uuid,
          repaymentId: Uuid.nullable(),
          allocation: AllocationView,
          marginCall: z.object({ id: Uuid.nullable(), status: z.enum(['NONE', 'OPEN', 'CURED', 'LIQUIDATING', 'SETTLED']) }),
        })
        .meta({ id: 'LiquidationSale' }),
    },
    handler: async ({ db, actor, params, body, outbox, now }) => {
      const sale = await recordLiquidationSale(
        db,
        actor,
        params.lineId,
        { lotId: body.lotId, quantity: new D(body.quantity.amount), quantityUnit: body.quantity.unit, proceeds: new D(body.proceeds.amount), currency: body.proceeds.currency, receivedOn: body.receivedOn, reference: body.reference },
        now,
      );
      await revalueLines(outbox, [params.lineId], 'LIQUIDATION_PROCEEDS');
      const { allocation } = sale;
      return {
        releaseOrderId: sale.releaseOrder.id,
        repaymentId: sale.repaymentId,
        allocation: {
          fees: allocation.fees.toJSON(),
          interest: allocation.interest.toJSON(),
          principal: allocation.principal.toJSON(),
          toSeller: allocation.toSeller.toJSON(),
        },
        marginCall: { id: sale.evaluation.callId, status: sale.evaluation.status },
      };
    },
  }),
];
