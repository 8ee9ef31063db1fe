/**
 * Sales and repayment on sale: what a sale is worth, the fee it owes, whether a
 * payment may be taken, and how a repayment splits through the line's
 * waterfall. Pure: no I/O, no clock.
 *
 * Units: quantities are exact decimals in the lot's unit; prices are per that
 * unit in the line currency; the credit terms' PERCENT_OF_PROCEEDS fee is in
 * percent (1.5 = 1.5 %), which `feeScheduleOfTerms` converts to the fraction
 * the waterfall module takes (0.015).
 */
import type { Decimal } from 'decimal.js';
import type { OnSaleFee, WaterfallBucket } from './credit-terms';
import { BusinessRuleError, CurrencyMismatchError, ValidationError, assert } from './errors';
import { D, Money } from './money';
import { applyWaterfall, feeOnSale, type FeeOnSaleSchedule, type OwedAmounts, type WaterfallAllocation } from './waterfall';

/** Most lots one sale may name (TigerStyle: a limit on everything). */
export const SALE_ITEMS_MAX = 100;

const HUNDRED = new D(100);

export interface SaleItemInput {
  lotId: string;
  quantity: Decimal;
}

/** A sale is priced per unit (every item at that price) or as a total for everything sold. */
export type SalePrice = { pricePerUnit: Money } | { totalPrice: Money };

export interface PricedSale {
  totalQuantity: Decimal;
  /** What the buyer owes, at currency scale. */
  totalPrice: Money;
  /** Per unit, exact where the total divides evenly; used to value sold-but-unpaid goods. */
  pricePerUnit: Decimal;
}

/**
 * Total and unit price of a sale. A per-unit price gives total = Σ quantity ×
 * price, rounded once to the currency scale; a total gives price per unit =
 * total ÷ Σ quantity (exact to D's precision).
 */
export function priceSale(items: readonly SaleItemInput[], price: SalePrice): PricedSale {
  if (items.length === 0 || items.length > SALE_ITEMS_MAX) {
    throw new ValidationError('body.items', `must list 1 to ${SALE_ITEMS_MAX} lots; got ${items.length}`);
  }
  const lotIds = new Set<string>();
  items.forEach((item, index) => {
    if (!new D(item.quantity).gt(0)) throw new ValidationError(`body.items.${index}.quantity`, 'must be greater than zero');
    if (lotIds.has(item.lotId)) throw new ValidationError(`body.items.${index}.lotId`, `lot ${item.lotId} is listed twice; list each lot once with its whole quantity`);
    lotIds.add(item.lotId);
  });
  const totalQuantity = items.reduce((sum, item) => sum.plus(item.quantity), new D(0));
  if (!fitsStoredFigure(totalQuantity)) throw new ValidationError('body.items', `add up to ${totalQuantity.toFixed()}, more than ${STORED_INTEGER_DIGITS_MAX} integer digits`);
  if ('pricePerUnit' in price) {
    if (!price.pricePerUnit.isPositive()) throw new ValidationError('body.pricePerUnit', 'must be greater than zero');
    const totalPrice = price.pricePerUnit.times(totalQuantity).roundToScale();
    // The sale's stored total must be positive and fit NUMERIC(38, 18), as the sale table's CHECKs demand.
    if (!totalPrice.isPositive()) {
      throw new ValidationError('body.pricePerUnit', `× ${totalQuantity.toFixed()} units is ${totalPrice.format()} once rounded to the currency; the sale total must be greater than zero`);
    }
    if (!fitsStoredFigure(totalPrice.amount)) {
      throw new ValidationError('body.pricePerUnit', `× ${totalQuantity.toFixed()} units is a total of more than ${STORED_INTEGER_DIGITS_MAX} integer digits`);
    }
    return { totalQuantity, totalPrice, pricePerUnit: price.pricePerUnit.amount };
  }
  if (!price.totalPrice.isPositive()) throw new ValidationError('body.totalPrice', 'must be greater than zero');
  if (!price.totalPrice.isAtScale()) throw new ValidationError('body.totalPrice', `has more decimal places than ${price.totalPrice.currency} allows`);
  const pricePerUnit = price.totalPrice.amount.dividedBy(totalQuantity);
  if (pricePerUnit.toDecimalPlaces(STORED_DECIMAL_PLACES_MAX).isZero()) {
    throw new ValidationError('body.totalPrice', `÷ ${totalQuantity.toFixed()} units is a price per unit that rounds to zero at ${STORED_DECIMAL_PLACES_MAX} places`);
  }
  return { totalQuantity, totalPrice: price.totalPrice, pricePerUnit };
}

/** Sale figures are stored as NUMERIC(38, 18). */
const STORED_INTEGER_DIGITS_MAX = 20;
const STORED_DECIMAL_PLACES_MAX = 18;

function fitsStoredFigure(value: Decimal): boolean {
  return value.abs().lt(new D(10).pow(STORED_INTEGER_DIGITS_MAX));
}

/**
 * The line's fee-on-sale terms as the waterfall module's schedule. The terms
 * hold PERCENT_OF_PROCEEDS in percent (1.5 = 1.5 %); the schedule takes a
 * fraction (0.015), hence ÷ 100 here and nowhere else.
 */
export function feeScheduleOfTerms(onSale: OnSaleFee | null): FeeOnSaleSchedule {
  if (onSale === null) return { kind: 'NONE' };
  if (onSale.kind === 'STORAGE_DAYS') return { kind: 'STORAGE_DAYS', days: onSale.days, dailyRatePerUnit: onSale.dailyStorageRatePerUnit };
  return { kind: 'PERCENT_OF_PROCEEDS', percent: new D(onSale.percent).dividedBy(HUNDRED) };
}

/** The fee a sale owes under the line's terms: days × daily rate × quantity sold, or percent of the sale price. */
export function saleFee(onSale: OnSaleFee | null, sale: { totalQuantity: Decimal; totalPrice: Money }): Money {
  return feeOnSale(feeScheduleOfTerms(onSale), { quantity: sale.totalQuantity, proceeds: sale.totalPrice });
}

/** What the buyer still owes. */
export function remainingDue(sale: { totalPrice: Money; amountPaid: Money }): Money {
  const remaining = sale.totalPrice.minus(sale.amountPaid);
  assert(!remaining.isNegative(), `a sale is never paid more than its price; paid ${sale.amountPaid.format()} of ${sale.totalPrice.format()}`);
  return remaining;
}

/** A buyer's payment: in the sale's currency, positive, at scale, and at most what is still due (overpayment is refused). */
export function checkSalePayment(sale: { totalPrice: Money; amountPaid: Money }, payment: Money): { remainingAfter: Money; fullyPaid: boolean } {
  requireRepaymentAmount(payment, sale.totalPrice.currency, 'record a payment for a sale in');
  const remaining = remainingDue(sale);
  if (payment.gt(remaining)) {
    throw new BusinessRuleError(
      'overpayment',
      `the sale's remaining due is ${remaining.format()} (price ${sale.totalPrice.format()}, paid ${sale.amountPaid.format()}); a payment of ${payment.format()} would overpay it`, 'body.amount',
    );
  }
  const remainingAfter = remaining.minus(payment);
  return { remainingAfter, fullyPaid: remainingAfter.isZero() };
}

/** A direct repayment repays what is owed; more than fees + interest + principal has nothing to repay. */
export function checkDirectRepayment(payment: Money, owed: OwedAmounts): void {
  requireRepaymentAmount(payment, owed.principal.currency, 'repay a line in');
  const totalOwed = owed.fees.plus(owed.interest).plus(owed.principal);
  if (payment.gt(totalOwed)) {
    throw new BusinessRuleError(
      'repayment_exceeds_owed',
      `the line owes ${totalOwed.format()} (fees ${owed.fees.format()}, interest ${owed.interest.format()}, principal ${owed.principal.format()}); a repayment of ${payment.format()} is more than that`, 'body.amount',
    );
  }
}

/** A payout to the seller is at most what the line owes the seller. */
export function checkSellerPayout(payout: Money, sellerPayable: Money): void {
  requireRepaymentAmount(payout, sellerPayable.currency, 'pay out to a seller in');
  if (payout.gt(sellerPayable)) {
    throw new BusinessRuleError('payout_exceeds_seller_payable', `the line owes the seller ${sellerPayable.format()}; a payout of ${payout.format()} is more than that`, 'body.amount');
  }
}

/** Splits cash received through the line's waterfall order; the rest is payable to the seller. */
export function splitRepayment(payment: Money, order: readonly WaterfallBucket[], owed: OwedAmounts): WaterfallAllocation {
  return applyWaterfall({ payment, order, owed });
}

function requireRepaymentAmount(amount: Money, currency: string, operation: string): void {
  if (amount.currency !== currency) throw new CurrencyMismatchError(currency, amount.currency, operation);
  if (!amount.isPositive()) throw new ValidationError('body.amount', `must be greater than zero; got ${amount.format()}`);
  if (!amount.isAtScale()) throw new ValidationError('body.amount', `has more decimal places than ${amount.currency} allows`);
}
