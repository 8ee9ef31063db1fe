/**
 * The event catalogue: every domain event another system can receive (GET
 * /events and webhooks), its subject and its versioned payload shape. A
 * writer's payload is parsed with its schema before it is stored, so a stored
 * event always has the shape documented here and in docs/events.md. A shape
 * only gains fields within a version (readers ignore fields they do not know); any other change adds a new version.
 *
 * Values are the API's shared components (domain/wire-values.ts): Money
 * `{ amount, currency }` at the currency's ISO 4217 scale; UnitPrice
 * `{ amount, currency, unit }` exact (up to 18 decimal places); Quantity
 * `{ amount, unit }` exact; Timestamp ISO 8601 UTC; CalendarDate `YYYY-MM-DD`.
 */
import { z } from 'zod';
import { CalendarDate, Money, Quantity, Ratio, Timestamp, UnitPrice, orNull } from './wire-values';

const Id = z.uuid();

const DrawFacts = { drawId: Id, creditLineId: Id, amount: Money };
const SaleFacts = { saleId: Id, creditLineId: Id };
const MarginCallFacts = {
  marginCallId: Id,
  creditLineId: Id,
  status: z.enum(['OPEN', 'CURED', 'LIQUIDATING', 'SETTLED']),
  outstandingPrincipal: Money,
  collateralValue: Money,
  requiredRepayment: Money,
  cureDeadline: orNull(Timestamp),
};
/** An amendment of a line's terms (domain/terms-amendment.ts): which version, its status, from when, and what it worsens for the seller. */
const AmendmentFacts = {
  creditLineId: Id,
  versionNo: z.number().int().min(2),
  status: z.enum(['PENDING_APPROVAL', 'PENDING_ACCEPTANCE', 'AGREED', 'WITHDRAWN', 'DECLINED']),
  effectiveFrom: CalendarDate,
  worsensForSeller: z.boolean(),
  worsenings: z.array(z.string()),
};
const CreditLineStatus = z.enum(['OFFERED', 'ACTIVE', 'DECLINED', 'WITHDRAWN', 'FROZEN', 'IN_DEFAULT', 'CLOSED']);

/** Each type: what its subject is, the payload version written today, and that version's shape. */
export const EVENT_CATALOGUE = {
  'custody.received': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, warehouseId: Id, sellerOrganisationId: Id, commodityCode: z.string(), grade: z.string(), receiptNumber: z.string(), quantity: Quantity, receivedAt: Timestamp }),
  },
  'custody.adjusted': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, kind: z.string(), reason: z.string().nullable(), quantityBefore: Quantity, quantityAfter: Quantity }),
  },
  'custody.counted': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, countedQuantity: Quantity, quantityHeldBefore: Quantity, difference: Quantity, flagged: z.boolean(), countedAt: Timestamp }),
  },
  'custody.released': {
    subject: 'lot',
    version: 1,
    data: z.object({ lotId: Id, releaseOrderId: Id, quantityReleased: Quantity, quantityAfter: Quantity, releasedAt: Timestamp }),
  },
  'release.authorised': {
    subject: 'release_order',
    version: 1,
    data: z.object({ releaseOrderId: Id, lotId: Id, kind: z.enum(['SELLER_INSTRUCTION', 'LENDER_AUTHORISATION']), creditLineId: Id.nullable(), quantityAuthorised: Quantity }),
  },
  'release.confirmed': {
    subject: 'release_order',
    version: 1,
    data: z.object({ releaseOrderId: Id, lotId: Id, quantityConfirmed: Quantity, quantityReleasedTotal: Quantity, status: z.enum(['OPEN', 'COMPLETED']), releasedAt: Timestamp }),
  },
  'draw.requested': {
    subject: 'draw',
    version: 1,
    data: z.object({ ...DrawFacts, requiredApprovals: z.number().int().min(0).max(2), approvalDeadline: Timestamp }),
  },
  'draw.approved': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.rejected': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.expired': { subject: 'draw', version: 1, data: z.object(DrawFacts) },
  'draw.disbursed': { subject: 'draw', version: 1, data: z.object({ ...DrawFacts, disbursementEntryId: Id, feeEntryId: Id.nullable(), effectiveDate: CalendarDate }) },
  'draw.refused': { subject: 'draw', version: 1, data: z.object({ ...DrawFacts, reason: z.string() }) },
  'sale.reported': {
    subject: 'sale',
    version: 1,
    data: z.object({
      ...SaleFacts,
      buyerOrganisationId: Id,
      totalPrice: Money,
      feeOnSale: Money,
      paymentDueDate: CalendarDate,
      items: z.array(z.object({ lotId: Id, quantity: Quantity })),
    }),
  },
  'sale.paid': { subject: 'sale', version: 1, data: z.object({ ...SaleFacts, totalPrice: Money, amountPaid: Money, completingRepaymentId: Id }) },
  'sale.lapsed': { subject: 'sale', version: 1, data: z.object({ ...SaleFacts, totalPrice: Money, amountPaid: Money, paymentDueDate: CalendarDate }) },
  'sale.closed': { subject: 'sale', version: 1, data: z.object(SaleFacts) },
  'margin_call.opened': { subject: 'margin_call', version: 1, data: z.object({ ...MarginCallFacts, cause: z.string() }) },
  'margin_call.cured': { subject: 'margin_call', version: 1, data: z.object(MarginCallFacts) },
  'margin_call.liquidating': { subject: 'margin_call', version: 1, data: z.object({ ...MarginCallFacts, liquidationReason: z.string() }) },
  'margin_call.settled': { subject: 'margin_call', version: 1, data: z.object(MarginCallFacts) },
  'price_mark.posted': {
    subject: 'price_mark',
    version: 1,
    data: z.object({ priceMarkId: Id, commodityCode: z.string(), grade: z.string(), pricePerUnit: UnitPrice, source: z.string(), asOf: Timestamp }),
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
    data: z.object({ creditLineId: Id, dueDate: CalendarDate, principal: Money, interest: Money, fees: Money, total: Money }),
  },
  'credit_line.overdue': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, dueDate: CalendarDate, daysPastDue: z.number().int().min(1), gracePeriodDays: z.number().int().min(0), amountDue: Money, overduePrincipal: Money }),
  },
  'credit_line.defaulted': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, dueDate: CalendarDate, daysPastDue: z.number().int().min(1), defaultAfterDaysPastDue: z.number().int().min(1), amountDue: Money }),
  },
  // Interest billing (domain/interest-billing.ts), written once per line and billing day by the daily run (prisma/credit-lines/interest-billing.ts).
  'credit_line.interest_billed': {
    subject: 'credit_line',
    version: 1,
    data: z.object({ creditLineId: Id, billedOn: CalendarDate, periodFrom: CalendarDate, periodTo: CalendarDate, amount: Money, dueDate: CalendarDate }),
  },
  'terms.amendment_proposed': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_approved': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_accepted': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_closed': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'terms.amendment_effective': { subject: 'credit_line', version: 1, data: z.object(AmendmentFacts) },
  'rate.fixing_posted': {
    subject: 'reference_rate',
    version: 1,
    data: z.object({ referenceRateId: Id, code: z.string(), effectiveDate: CalendarDate, rate: Ratio }),
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
