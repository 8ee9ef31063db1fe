/**
 * Repayment waterfall and fees on sale.
 *
 * Proceeds received for a sale (or a liquidation) pay what is owed step by
 * step in the line's order — by default fees, then interest, then principal —
 * and whatever remains is payable to the seller.
 */
import type { Decimal } from 'decimal.js';
import { CurrencyMismatchError, ValidationError, assert } from './errors';
import { D, Money } from './money';

export type WaterfallStep = 'FEES' | 'INTEREST' | 'PRINCIPAL';

export const WATERFALL_STEPS: readonly WaterfallStep[] = Object.freeze(['FEES', 'INTEREST', 'PRINCIPAL']);

export const DEFAULT_WATERFALL: readonly WaterfallStep[] = Object.freeze(['FEES', 'INTEREST', 'PRINCIPAL']);

/** Checks that `order` names each step exactly once; returns it typed. */
export function validateWaterfallOrder(order: readonly string[], field = 'waterfallOrder'): readonly WaterfallStep[] {
  const expected = `must list each of ${WATERFALL_STEPS.join(', ')} exactly once`;
  const unknown = order.filter((step) => !(WATERFALL_STEPS as readonly string[]).includes(step));
  if (unknown.length > 0) {
    throw new ValidationError(field, `${expected}; unknown step ${unknown.map((s) => `"${s}"`).join(', ')}`);
  }
  const repeated = order.filter((step, index) => order.indexOf(step) !== index);
  if (repeated.length > 0) throw new ValidationError(field, `${expected}; repeated ${[...new Set(repeated)].join(', ')}`);
  const missing = WATERFALL_STEPS.filter((step) => !order.includes(step));
  if (missing.length > 0) throw new ValidationError(field, `${expected}; missing ${missing.join(', ')}`);
  return order as readonly WaterfallStep[];
}

export interface OwedAmounts {
  fees: Money;
  interest: Money;
  principal: Money;
}

export interface WaterfallInput {
  payment: Money;
  order: readonly WaterfallStep[];
  owed: OwedAmounts;
}

export interface WaterfallAllocation {
  fees: Money;
  interest: Money;
  principal: Money;
  /** What is left after every step is paid in full; payable to the seller. */
  toSeller: Money;
}

const OWED_KEY: Readonly<Record<WaterfallStep, keyof OwedAmounts>> = {
  FEES: 'fees',
  INTEREST: 'interest',
  PRINCIPAL: 'principal',
};

/** Each step in order takes min(what remains of the payment, what that step is owed). */
export function applyWaterfall(input: WaterfallInput): WaterfallAllocation {
  const { payment, owed } = input;
  const order = validateWaterfallOrder(input.order);
  requireWaterfallAmounts(payment, owed);
  const paid: OwedAmounts = {
    fees: Money.zero(payment.currency),
    interest: Money.zero(payment.currency),
    principal: Money.zero(payment.currency),
  };
  let remaining = payment;
  for (const step of order) {
    const key = OWED_KEY[step];
    paid[key] = Money.min(remaining, owed[key]);
    remaining = remaining.minus(paid[key]);
  }
  const allocation = { ...paid, toSeller: remaining };
  const allocatedTotal = allocation.fees.plus(allocation.interest).plus(allocation.principal).plus(allocation.toSeller);
  assert(allocatedTotal.equals(payment), `waterfall parts sum to the payment ${payment.format()}`);
  return allocation;
}

function requireWaterfallAmounts(payment: Money, owed: OwedAmounts): void {
  for (const [name, amount] of Object.entries({ payment, ...owed })) {
    if (amount.currency !== payment.currency) {
      throw new CurrencyMismatchError(payment.currency, amount.currency, `apply a payment to ${name} owed in`);
    }
    assert(!amount.isNegative(), `waterfall ${name} is not negative; got ${amount.format()}`);
    assert(amount.isAtScale(), `waterfall ${name} is at currency scale; got ${amount.format()}`);
  }
}

export interface StorageDaysFeeInput {
  /** Whole days of storage charged, e.g. 30 for the canonical fee on sale. */
  days: number;
  /** Storage price per unit of quantity per day. */
  dailyRatePerUnit: Money;
  /** Quantity sold, in the unit the rate is quoted per. */
  quantity: Decimal;
}

/** days × daily rate per unit × quantity, rounded to the currency scale. */
export function storageDaysFee(input: StorageDaysFeeInput): Money {
  const { days, dailyRatePerUnit } = input;
  const quantity = new D(input.quantity);
  assert(Number.isSafeInteger(days) && days >= 0, `storage days are a whole number of days, zero or more; got ${days}`);
  assert(!dailyRatePerUnit.isNegative(), `daily storage rate is not negative; got ${dailyRatePerUnit.format()}`);
  assert(quantity.gte(0), `quantity is not negative; got ${quantity.toString()}`);
  return dailyRatePerUnit.times(quantity).times(new D(days)).roundToScale();
}

export interface PercentOfProceedsFeeInput {
  proceeds: Money;
  /** Fraction of proceeds: 0.015 is 1.5%. */
  percent: Decimal;
}

/** proceeds × percent, rounded to the currency scale. */
export function percentOfProceedsFee(input: PercentOfProceedsFeeInput): Money {
  const { proceeds } = input;
  const percent = new D(input.percent);
  assert(!proceeds.isNegative(), `proceeds are not negative; got ${proceeds.format()}`);
  assert(percent.gte(0) && percent.lte(1), `fee percent is a fraction between 0 and 1; got ${percent.toString()}`);
  return proceeds.times(percent).roundToScale();
}

/** How a line charges when goods are sold. */
export type FeeOnSaleSchedule =
  | { kind: 'NONE' }
  | { kind: 'STORAGE_DAYS'; days: number; dailyRatePerUnit: Money }
  | { kind: 'PERCENT_OF_PROCEEDS'; percent: Decimal };

export interface SaleForFee {
  quantity: Decimal;
  proceeds: Money;
}

/** The fee a sale owes under the line's schedule, in the proceeds' currency. */
export function feeOnSale(schedule: FeeOnSaleSchedule, sale: SaleForFee): Money {
  switch (schedule.kind) {
    case 'NONE':
      return Money.zero(sale.proceeds.currency);
    case 'STORAGE_DAYS': {
      const fee = storageDaysFee({ days: schedule.days, dailyRatePerUnit: schedule.dailyRatePerUnit, quantity: sale.quantity });
      if (fee.currency !== sale.proceeds.currency) {
        throw new CurrencyMismatchError(sale.proceeds.currency, fee.currency, 'charge a storage fee on proceeds in');
      }
      return fee;
    }
    case 'PERCENT_OF_PROCEEDS':
      return percentOfProceedsFee({ proceeds: sale.proceeds, percent: schedule.percent });
  }
}
