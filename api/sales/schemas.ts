import { z } from 'zod';
import type { WaterfallAllocation } from '../../domain/waterfall';
import type { Repayment, SellerPayout } from '../../prisma/generated/client';
import type { SaleWithItems } from '../../prisma/sales/store';
import { CalendarDate, CurrencyCode, MoneySchema, Quantity, Timestamp, UnitPrice, Uuid, moneyOf, orNull, positiveAt } from '../http/schemas';

const Reference = z.string().trim().min(1).max(200);

export const ReportSaleBody = z
  .object({
    buyerOrganisationId: Uuid,
    items: z.array(z.object({ lotId: Uuid, quantity: Quantity })).min(1).max(100),
    pricePerUnit: UnitPrice.optional(),
    totalPrice: MoneySchema.optional(),
    paymentDueDate: CalendarDate,
  })
  .superRefine((body, ctx) => {
    const items = Array.isArray(body.items) ? body.items : [];
    positiveAt(['pricePerUnit', 'amount'], ['totalPrice', 'amount'], ...items.map((_, index) => ['items', index, 'quantity', 'amount']))(body, ctx);
  })
  .refine((body) => (body.pricePerUnit === undefined) !== (body.totalPrice === undefined), { message: 'give exactly one of pricePerUnit and totalPrice', path: ['pricePerUnit'] })
  .meta({
    id: 'ReportSale',
    description: 'Priced per unit (pricePerUnit, in the unit the lots are held in) or as a total for everything sold (totalPrice); either in the line currency',
  });

export const CashReceivedBody = z
  .object({ amount: MoneySchema, receivedOn: CalendarDate, reference: Reference.optional() })
  .superRefine(positiveAt(['amount', 'amount']))
  .meta({ id: 'CashReceived', description: 'Cash received in the collection account, in the line currency; receivedOn is its value date (the ledger entry is effective on it)' });

export const SellerPayoutBody = z
  .object({ amount: MoneySchema, paidOn: CalendarDate, reference: Reference.optional() })
  .superRefine(positiveAt(['amount', 'amount']))
  .meta({ id: 'SellerPayoutRequest', description: 'A payout to the seller, in the line currency' });

export const SaleView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    sellerOrganisationId: Uuid,
    buyerOrganisationId: Uuid,
    currency: CurrencyCode,
    totalPrice: MoneySchema,
    amountPaid: MoneySchema,
    remainingDue: MoneySchema,
    feeOnSale: MoneySchema,
    paymentDueDate: CalendarDate,
    status: z.enum(['OPEN', 'PAID', 'RELEASE_AUTHORISED', 'CLOSED', 'LAPSED']),
    workflowId: z.string(),
    items: z.array(
      z
        .object({ lotId: Uuid, quantity: Quantity, quantityShort: Quantity, pricePerUnit: UnitPrice, releaseOrderId: Uuid.nullable() })
        .meta({ description: 'quantity: still to be delivered (sold less what went short); quantityShort: sold but lost in custody before it left' }),
    ),
    shortAt: orNull(Timestamp).describe('when a loss in custody left part of the sale short (the parties were told); null if never'),
    createdAt: Timestamp,
  })
  .meta({ id: 'Sale' });

export const AllocationView = z
  .object({ fees: MoneySchema, interest: MoneySchema, principal: MoneySchema, toSeller: MoneySchema })
  .meta({ id: 'WaterfallAllocation', description: 'How the cash was applied, in the line waterfall order; toSeller is payable to the seller' });

export const RepaymentView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    kind: z.enum(['SALE_PAYMENT', 'DIRECT_REPAYMENT']),
    saleId: Uuid.nullable(),
    amount: MoneySchema,
    allocation: AllocationView,
    receivedOn: CalendarDate,
    reference: z.string().nullable(),
    entryId: Uuid,
  })
  .meta({ id: 'Repayment' });

export const SellerPayoutView = z
  .object({ id: Uuid, creditLineId: Uuid, amount: MoneySchema, paidOn: CalendarDate, reference: z.string().nullable(), entryId: Uuid })
  .meta({ id: 'SellerPayout' });

const plain = (value: { toFixed(): string }) => value.toFixed();
const day = (value: Date) => value.toISOString().slice(0, 10);

export function saleView(sale: SaleWithItems): z.infer<typeof SaleView> {
  const { currency } = sale;
  return {
    id: sale.id,
    creditLineId: sale.creditLineId,
    sellerOrganisationId: sale.sellerOrganisationId,
    buyerOrganisationId: sale.buyerOrganisationId,
    currency,
    totalPrice: moneyOf(sale.totalPrice, currency),
    amountPaid: moneyOf(sale.amountPaid, currency),
    remainingDue: moneyOf(sale.totalPrice.minus(sale.amountPaid), currency),
    feeOnSale: moneyOf(sale.feeOnSale, currency),
    paymentDueDate: day(sale.paymentDueDate),
    status: sale.status,
    workflowId: sale.workflowId,
    items: sale.items.map((item) => ({
      lotId: item.lotId,
      quantity: { amount: plain(item.quantity), unit: item.unit },
      quantityShort: { amount: plain(item.quantityShort), unit: item.unit },
      pricePerUnit: { amount: plain(item.pricePerUnit), currency, unit: item.unit },
      releaseOrderId: item.releaseOrderId,
    })),
    shortAt: sale.shortAt?.toISOString() ?? null,
    createdAt: sale.createdAt.toISOString(),
  };
}

export function repaymentView(repayment: Repayment): z.infer<typeof RepaymentView> {
  const { currency } = repayment;
  return {
    id: repayment.id,
    creditLineId: repayment.creditLineId,
    kind: repayment.kind,
    saleId: repayment.saleId,
    amount: moneyOf(repayment.amount, currency),
    allocation: {
      fees: moneyOf(repayment.feesPaid, currency),
      interest: moneyOf(repayment.interestPaid, currency),
      principal: moneyOf(repayment.principalPaid, currency),
      toSeller: moneyOf(repayment.toSeller, currency),
    },
    receivedOn: day(repayment.receivedOn),
    reference: repayment.reference,
    entryId: repayment.entryId,
  };
}

export function sellerPayoutView(payout: SellerPayout): z.infer<typeof SellerPayoutView> {
  return {
    id: payout.id,
    creditLineId: payout.creditLineId,
    amount: moneyOf(payout.amount, payout.currency),
    paidOn: day(payout.paidOn),
    reference: payout.reference,
    entryId: payout.entryId,
  };
}

export type { WaterfallAllocation };
