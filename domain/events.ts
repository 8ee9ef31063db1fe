/**
 * The event catalogue: every domain event another system can receive (GET
 * /events and webhooks), its subject and its versioned payload shape. A
 * writer's payload is parsed with its schema before it is stored, so a stored
 * event always has the shape documented here and in docs/events.md. A shape
 * changes only by adding a new version; a version once published never changes.
 *
 * Values on the wire: money `{ amount, currency }` with the amount at the
 * currency's ISO 4217 scale; a price per unit `{ amount, currency }` exact (up
 * to 18 decimal places); a quantity `{ amount, unit }` exact; timestamps ISO
 * 8601 UTC; dates `YYYY-MM-DD`.
 */
import { z } from 'zod';
import { currencyScale, isCurrency } from './money';

const DECIMAL = /^-?(0|[1-9]\d{0,19})(\.\d{1,18})?$/;
const Decimal = z.string().regex(DECIMAL, 'must be a decimal string');
const Currency = z.string().refine(isCurrency, 'must be an ISO 4217 currency code');
const Id = z.uuid();
const Timestamp = z.iso.datetime({ offset: false });
const Day = z.iso.date();

/** Money at its currency's scale: exactly `currencyScale(currency)` decimal places. */
export const EventMoney = z
  .object({ amount: Decimal, currency: Currency })
  .refine(({ amount, currency }) => (amount.split('.')[1] ?? '').length === currencyScale(currency), 'amount must have exactly the currency scale')
  .meta({ id: 'EventMoney' });
export const EventUnitPrice = z.object({ amount: Decimal, currency: Currency }).meta({ id: 'EventUnitPrice' });
export const EventQuantity = z.object({ amount: Decimal, unit: z.string().min(1) }).meta({ id: 'EventQuantity' });

const DrawFacts = { drawId: Id, creditLineId: Id, amount: EventMoney };
const SaleFacts = { saleId: Id, creditLineId: Id };
const MarginCallFacts = {
  marginCallId: Id,
  creditLineId: Id,
  status: z.enum(['OPEN', 'CURED', 'LIQUIDATING', 'SETTLED']),
  outstandingPrincipal: EventMoney,
  collateralValue: EventMoney,
  requiredRepayment: EventMoney,
  cureDeadline: Timestamp.nullable(),
};
/** An amendment of a line's terms (domain/terms-amendment.ts): which version, its status, from when, and what it worsens for the seller. */
const AmendmentFacts = {
  creditLineId: Id,
  versionNo: z.number().int().min(2),
  status: z.enum(['PENDING_APPROVAL', 'PENDING_ACCEPTANCE', 'AGREED', 'WITHDRAWN', 'DECLINED']),
  effectiveFrom: Day,
  worsensForSeller: z.boolean(),
  worsenings: z.array(z.string()),
};
const CreditLineStatus = z.enum(['OFFERED', 'ACTIVE', 'DECLINED', 'WITHDRAWN', 'FROZEN', 'IN_DEFAULT', 'CLOSED']);

/** Each type: what its subject is, the payload version written today, and that version's shape. */
export const EVENT_CATALOGUE = {
  'custody.received': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, warehouseId: Id, sellerOrganisationId: Id, commodityCode: z.string(), grade: z.string(), receiptNumber: z.string(), quantity: EventQuantity, receivedAt: Timestamp }),
  },
  'custody.adjusted': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, kind: z.string(), reason: z.string().nullable(), quantityBefore: EventQuantity, quantityAfter: EventQuantity }),
  },
  'custody.counted': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, countedQuantity: EventQuantity, quantityHeldBefore: EventQuantity, difference: EventQuantity, flagged: z.boolean(), countedAt: Timestamp }),
  },
  'custody.released': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, releaseOrderId: Id, quantityReleased: EventQuantity, quantityAfter: EventQuantity, releasedAt: Timestamp }),
  },
  'release.authorised': {
    subject: 'release_order',
    version: 1,
    data: z.object({ releaseOrderId: Id, lotId: Id, kind: z.enum(['SELLER_INSTRUCTION', 'LENDER_AUTHORISATION']), creditLineId: Id.nullable(), quantityAuthorised: EventQuantity }),
  },
  'release.confirmed': {
    subject: 'release_order',
    version: 1,
    data: z.object({ releaseOrderId: Id, lotId: Id, quantityConfirmed: EventQuantity, quantityReleasedTotal: EventQuantity, status: z.enum(['OPEN', 'COMPLETED']), releasedAt: Timestamp }),
  },
  'draw.requested': {
    subject: 'draw',
    version: 1,
    data: z.object({ ...DrawFacts, requiredApprovals: z.number().int().min(0).max(2), approvalDeadline: Timestamp }),
  },
  'draw.approved': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.rejected': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.expired': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.disbursed': { subject: 'draw', version: 1, data: z.object({ ...DrawFacts, disbursementEntryId: Id, feeEntryId: Id.nullable(), effectiveDate: Day }) },
  'draw.refused': { subject: 'draw', version: 1, data: z.object({ ...DrawFacts, reason: z.string() }) },
  'sale.reported': {
    subject: 'sale',
    version: 1,
    data: z.object({
      ...SaleFacts,
      buyerOrganisationId: Id,
      totalPrice: EventMoney,
      feeOnSale: EventMoney,
      paymentDueDate: Day,
      items: z.array(z.object({ lotId: Id, quantity: EventQuantity })),
    }),
  },
  'sale.paid': { subject: 'sale', version: 1, data: z.object({ ...SaleFacts, totalPrice: EventMoney, amountPaid: EventMoney, completingRepaymentId: Id }) },
  'sale.lapsed': { subject: 'sale', version: 1, data: z.object({ ...SaleFacts, totalPrice: EventMoney, amountPaid: EventMoney, paymentDueDate: Day }) },
  'sale.closed': { subject: 'sale', version: 1, data: z.object(SaleFacts) },
  'margin_call.opened': { subject: 'margin_call', version: 1, data: z.object({ ...MarginCallFacts, cause: z.string() }) },
  'margin_call.cured': { subject: 'margin_call', version: 1, data: z.object(MarginCallFacts) },
  'margin_call.liquidating': { subject: 'margin_call', version: 1, data: z.object({ ...MarginCallFacts, liquidationReason: z.string() }) },
  'margin_call.settled': { subject: 'margin_call', version: 1, data: z.object(MarginCallFacts) },
  'price_mark.posted': {
    subject: 'price_mark',
    version: 1,
    data: z.object({ priceMarkId: Id, commodityCode: z.string(), grade: z.string(), pricePerUnit: EventUnitPrice, source: z.string(), asOf: Timestamp }),
  },
  'credit_line.status_changed': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, from: CreditLineStatus, to: CreditLineStatus, change: z.string() }),
  },
  // Maturity and delinquency (domain/delinquency.ts), written once each by the daily review (prisma/credit-lines/delinquency.ts).
  'credit_line.amount_due': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, dueDate: Day, principal: EventMoney, interest: EventMoney, fees: EventMoney, total: EventMoney }),
  },
  'credit_line.overdue': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, dueDate: Day, daysPastDue: z.number().int().min(1), gracePeriodDays: z.number().int().min(0), amountDue: EventMoney, overduePrincipal: EventMoney }),
  },
  'credit_line.defaulted': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, dueDate: Day, daysPastDue: z.number().int().min(1), defaultAfterDaysPastDue: z.number().int().min(1), amountDue: EventMoney }),
  },
  'terms.amendment_proposed': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_approved': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_accepted': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_closed': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_effective': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'rate.fixing_posted': {
    subject: 'reference_rate',
    version: 1,
    data: z.object({ referenceRateId: Id, code: z.string(), effectiveDate: Day, rate: Decimal }),
  },
} as const satisfies Record<string, { subject: string; version: number; data: z.ZodType }>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOGUE)[T]['data']>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, value);
}

/** A quantity on the wire. */
export function quantityOf(amount: { toFixed(): string }, unit: string): { amount: string; unit: string } {
  return { amount: amount.toFixed(), unit };
}

/** A position in the feed: the writing transaction's id, then the event's sequence number (prisma/events/store.ts). */
export interface FeedPosition {
  txId: bigint;
  seq: bigint;
}
