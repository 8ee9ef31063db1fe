import { z } from 'zod';
import { currencyScale } from '../../domain/money';
import type { WaterfallAllocation } from '../../domain/waterfall';
import type { Repayment, SellerPayout } from '../../prisma/generated/client';
import type { SaleWithItems } from '../../prisma/sales/store';
import { CurrencyCode, DecimalString, IsoDate, NonNegativeDecimalString, Uuid } from '../http/schemas';

const PositiveDecimalString = NonNegativeDecimalString.refine((value) => /[1-9]/.test(value), 'must be greater than zero');
const Reference = z.string().trim().min(1).max(200);

export const ReportSaleBody = z
  .object({
    buyerOrganisationId: Uuid,
    items: z.array(z.object({ lotId: Uuid, quantity: PositiveDecimalString })).min(1).max(100),
    currency: CurrencyCode,
    pricePerUnit: PositiveDecimalString.optional().meta({ description: 'Price per unit of the lots; give this or totalPrice' }),
    totalPrice: PositiveDecimalString.optional().meta({ description: 'Price for everything sold; give this or pricePerUnit' }),
    paymentDueDate: IsoDate,
  })
  .refine((body) => (body.pricePerUnit === undefined) !== (body.totalPrice === undefined), { message: 'give exactly one of pricePerUnit and totalPrice', path: ['pricePerUnit'] })
  .meta({ id: 'ReportSale' });

export const CashReceivedBody = z
  .object({
    amount: PositiveDecimalString,
    receivedOn: IsoDate.meta({ description: 'Value date of the cash in the collection account: the ledger entry is effective on it' }),
    reference: Reference.optional(),
  })
  .meta({ id: 'CashReceived' });

export const SellerPayoutBody = z.object({ amount: PositiveDecimalString, paidOn: IsoDate, reference: Reference.optional() }).meta({ id: 'SellerPayoutRequest' });

export const SaleView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    sellerOrganisationId: Uuid,
    buyerOrganisationId: Uuid,
    currency: z.string(),
    totalPrice: DecimalString,
    amountPaid: DecimalString,
    remainingDue: DecimalString,
    feeOnSale: DecimalString,
    paymentDueDate: z.string(),
    status: z.enum(['OPEN', 'PAID', 'RELEASE_AUTHORISED', 'CLOSED', 'LAPSED']),
    workflowId: z.string(),
    items: z.array(
      z.object({
        lotId: Uuid,
        quantity: DecimalString.describe('still to be delivered: sold less what went short'),
        quantityShort: DecimalString.describe('sold but lost in custody before it left'),
        unit: z.string(),
        pricePerUnit: DecimalString,
        releaseOrderId: Uuid.nullable(),
      }),
    ),
    shortAt: z.string().nullable().describe('when a loss in custody left part of the sale short (the parties were told); null if never'),
    createdAt: z.string(),
  })
  .meta({ id: 'Sale' });

export const AllocationView = z
  .object({ fees: DecimalString, interest: DecimalString, principal: DecimalString, toSeller: DecimalString })
  .meta({ id: 'WaterfallAllocation', description: 'How the cash was applied, in the line waterfall order; toSeller is payable to the seller' });

export const RepaymentView = z
  .object({
    id: Uuid,
    creditLineId: Uuid,
    kind: z.enum(['SALE_PAYMENT', 'DIRECT_REPAYMENT']),
    saleId: Uuid.nullable(),
    amount: DecimalString,
    currency: z.string(),
    allocation: AllocationView,
    receivedOn: z.string(),
    reference: z.string().nullable(),
    entryId: Uuid,
  })
  .meta({ id: 'Repayment' });

export const SellerPayoutView = z
  .object({ id: Uuid, creditLineId: Uuid, amount: DecimalString, currency: z.string(), paidOn: z.string(), reference: z.string().nullable(), entryId: Uuid })
  .meta({ id: 'SellerPayout' });

/** A stored NUMERIC as a string at the currency's scale (never rounded: amounts are stored at scale). */
const atScale = (value: { toFixed(places?: number): string }, currency: string) => value.toFixed(currencyScale(currency));
const plain = (value: { toString(): string }) => value.toString();
const day = (value: Date) => value.toISOString().slice(0, 10);

export function saleView(sale: SaleWithItems): z.infer<typeof SaleView> {
  const { currency } = sale;
  return {
    id: sale.id,
    creditLineId: sale.creditLineId,
    sellerOrganisationId: sale.sellerOrganisationId,
    buyerOrganisationId: sale.buyerOrganisationId,
    currency,
    totalPrice: atScale(sale.totalPrice, currency),
    amountPaid: atScale(sale.amountPaid, currency),
    remainingDue: atScale(sale.totalPrice.minus(sale.amountPaid), currency),
    feeOnSale: atScale(sale.feeOnSale, currency),
    paymentDueDate: day(sale.paymentDueDate),
    status: sale.status,
    workflowId: sale.workflowId,
    items: sale.items.map((item) => ({
      lotId: item.lotId,
      quantity: plain(item.quantity),
      quantityShort: plain(item.quantityShort),
      unit: item.unit,
      pricePerUnit: plain(item.pricePerUnit),
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
    amount: atScale(repayment.amount, currency),
    currency,
    allocation: {
      fees: atScale(repayment.feesPaid, currency),
      interest: atScale(repayment.interestPaid, currency),
      principal: atScale(repayment.principalPaid, currency),
      toSeller: atScale(repayment.toSeller, currency),
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
    amount: atScale(payout.amount, payout.currency),
    currency: payout.currency,
    paidOn: day(payout.paidOn),
    reference: payout.reference,
    entryId: payout.entryId,
  };
}

export type { WaterfallAllocation };
