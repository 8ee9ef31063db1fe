/**
 * A line's interest bills (domain/interest-billing.ts): what was billed for which days, when it is due, and what of
 * it is paid (interest paid settles the bills oldest first).
 */
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { billsOfLine, type InterestBillRecord } from '../../prisma/credit-lines/interest-billing';
import { creditLineVisibleTo } from '../../prisma/credit-lines/store';
import { defineRoute } from '../http/route';
import { CalendarDate, decodeCursor, encodeCursor, MoneySchema, pageOf } from '../http/schemas';
import { LineIdParams } from './schemas';

/** Bills are monthly: a page of two years' bills at most. */
export const INTEREST_BILLS_PAGE_MAX = 24;

export const InterestBillView = z
  .object({
    billedOn: CalendarDate,
    periodFrom: CalendarDate,
    periodTo: CalendarDate,
    dueDate: CalendarDate,
    amount: MoneySchema,
    paid: MoneySchema,
    unpaid: MoneySchema,
  })
  .meta({
    id: 'InterestBill',
    description:
      'Interest billed on billedOn for the days periodFrom to periodTo (both inclusive): amount is exactly what the accrual posted to INTEREST_RECEIVABLE for those days ' +
      '(interest, restatements and default interest). dueDate: billedOn + the terms’ dueAfterDays; unpaid after it, the bill is past due. ' +
      'paid and unpaid: interest paid settles the bills oldest first, so the oldest bills are paid first; paid + unpaid = amount',
  });

export function interestBillView(bill: InterestBillRecord): z.infer<typeof InterestBillView> {
  return {
    billedOn: bill.billedOn,
    periodFrom: bill.periodFrom,
    periodTo: bill.periodTo,
    dueDate: bill.dueDate,
    amount: bill.amount.toJSON(),
    paid: bill.paid.toJSON(),
    unpaid: bill.unpaid.toJSON(),
  };
}

function afterBilledOn(cursor: string | undefined): string | null {
  const position = decodeCursor(cursor, ['billedOn']);
  if (position && !CalendarDate.safeParse(position.billedOn).success) throw new ValidationError('query.cursor', 'is not a cursor issued by this endpoint');
  return position?.billedOn ?? null;
}

export const interestBillRoutes = [
  defineRoute({
    method: 'get',
    path: '/credit-lines/{lineId}/interest-bills',
    operationId: 'listInterestBills',
    summary: "A line's interest bills, oldest first, each with what of it is paid and unpaid (lender and seller only)",
    tag: 'Credit lines',
    problems: [404],
    params: LineIdParams,
    query: z.object({ cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(INTEREST_BILLS_PAGE_MAX).default(INTEREST_BILLS_PAGE_MAX) }),
    success: { status: 200, description: 'One page of bills; nextCursor is null on the last', schema: pageOf(InterestBillView) },
    handler: async ({ db, actor, params, query }) => {
      const line = await creditLineVisibleTo(db, actor.organisationId, params.lineId);
      const after = afterBilledOn(query.cursor);
      // What each bill has paid depends on every bill before it, so the line's bills are read whole (a few a year).
      const { bills } = await billsOfLine(db, line.id, line.terms.currency);
      const rest = bills.filter((bill) => after === null || bill.billedOn > after);
      const page = rest.slice(0, query.limit);
      return { items: page.map(interestBillView), nextCursor: rest.length > query.limit ? encodeCursor({ billedOn: page[page.length - 1].billedOn }) : null };
    },
  }),
];
