import fc from 'fast-check';
import { CurrencyMismatchError, InvariantViolation, ValidationError } from '../../domain/errors';
import { D, Money } from '../../domain/money';
import {
  DEFAULT_WATERFALL,
  applyWaterfall,
  feeOnSale,
  percentOfProceedsFee,
  storageDaysFee,
  validateWaterfallOrder,
  type OwedAmounts,
  type WaterfallAllocation,
  type WaterfallStep,
} from '../../domain/waterfall';

const usd = (amount: string): Money => Money.of(amount, 'USD');
const owedUsd = (fees: string, interest: string, principal: string): OwedAmounts => ({
  fees: usd(fees),
  interest: usd(interest),
  principal: usd(principal),
});
const asStrings = (allocation: WaterfallAllocation): Record<keyof WaterfallAllocation, string> => ({
  fees: allocation.fees.toFixedString(),
  interest: allocation.interest.toFixedString(),
  principal: allocation.principal.toFixedString(),
  toSeller: allocation.toSeller.toFixedString(),
});

describe('waterfall order', () => {
  test('the default order is fees, then interest, then principal', () => {
    expect(DEFAULT_WATERFALL).toEqual(['FEES', 'INTEREST', 'PRINCIPAL']);
  });

  test('any order naming each step exactly once is valid', () => {
    expect(validateWaterfallOrder(['PRINCIPAL', 'FEES', 'INTEREST'])).toEqual(['PRINCIPAL', 'FEES', 'INTEREST']);
  });

  test('orders with a missing, repeated or unknown step are refused, saying what is wrong', () => {
    const reasonFor = (order: string[]): string => {
      try {
        validateWaterfallOrder(order);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('waterfallOrder');
        return (error as ValidationError).reason;
      }
      throw new Error(`expected ${JSON.stringify(order)} to be refused`);
    };
    const expected = 'must list each of FEES, INTEREST, PRINCIPAL exactly once';
    expect(reasonFor(['FEES', 'INTEREST'])).toBe(`${expected}; missing PRINCIPAL`);
    expect(reasonFor(['FEES', 'FEES', 'INTEREST', 'PRINCIPAL'])).toBe(`${expected}; repeated FEES`);
    expect(reasonFor(['FEES', 'INTEREST', 'PRINCIPAL', 'PENALTY'])).toBe(`${expected}; unknown step "PENALTY"`);
    expect(reasonFor(['fees', 'INTEREST', 'PRINCIPAL'])).toBe(`${expected}; unknown step "fees"`);
    expect(reasonFor([])).toBe(`${expected}; missing FEES, INTEREST, PRINCIPAL`);
  });
});

describe('applyWaterfall', () => {
  test('a payment that covers everything pays each step in full and the rest to the seller', () => {
    // 12,000.00 − 150.00 fees − 986.30 interest − 10,000.00 principal = 863.70 to the seller.
    const allocation = applyWaterfall({ payment: usd('12000.00'), order: DEFAULT_WATERFALL, owed: owedUsd('150.00', '986.30', '10000.00') });
    expect(asStrings(allocation)).toEqual({ fees: '150.00', interest: '986.30', principal: '10000.00', toSeller: '863.70' });
  });

  test('a short payment stops part-way down the waterfall', () => {
    // 1,000.00: fees take 150.00, interest takes the remaining 850.00 of its 986.30, nothing for principal.
    const allocation = applyWaterfall({ payment: usd('1000.00'), order: DEFAULT_WATERFALL, owed: owedUsd('150.00', '986.30', '10000.00') });
    expect(asStrings(allocation)).toEqual({ fees: '150.00', interest: '850.00', principal: '0.00', toSeller: '0.00' });
  });

  test('a payment that exactly settles the loan leaves nothing for the seller', () => {
    const allocation = applyWaterfall({ payment: usd('11136.30'), order: DEFAULT_WATERFALL, owed: owedUsd('150.00', '986.30', '10000.00') });
    expect(asStrings(allocation)).toEqual({ fees: '150.00', interest: '986.30', principal: '10000.00', toSeller: '0.00' });
  });

  test('a custom order pays principal first', () => {
    // 10,500.00: principal 10,000.00, then fees 150.00, then interest 350.00 of 986.30.
    const allocation = applyWaterfall({
      payment: usd('10500.00'),
      order: ['PRINCIPAL', 'FEES', 'INTEREST'],
      owed: owedUsd('150.00', '986.30', '10000.00'),
    });
    expect(asStrings(allocation)).toEqual({ fees: '150.00', interest: '350.00', principal: '10000.00', toSeller: '0.00' });
  });

  test('with nothing owed the whole payment goes to the seller', () => {
    const allocation = applyWaterfall({ payment: usd('42.42'), order: DEFAULT_WATERFALL, owed: owedUsd('0', '0', '0') });
    expect(asStrings(allocation)).toEqual({ fees: '0.00', interest: '0.00', principal: '0.00', toSeller: '42.42' });
  });

  test('a payment or an owed amount in another currency throws', () => {
    expect(() =>
      applyWaterfall({ payment: Money.of('100.00', 'EUR'), order: DEFAULT_WATERFALL, owed: owedUsd('1.00', '1.00', '1.00') }),
    ).toThrow(CurrencyMismatchError);
    expect(() =>
      applyWaterfall({
        payment: usd('100.00'),
        order: DEFAULT_WATERFALL,
        owed: { fees: usd('1.00'), interest: Money.of('1.00', 'EUR'), principal: usd('1.00') },
      }),
    ).toThrow('cannot apply a payment to interest owed in EUR with USD; both amounts must be in USD');
  });

  test('negative or unrounded amounts are bugs, not values to clamp', () => {
    expect(() => applyWaterfall({ payment: usd('-1.00'), order: DEFAULT_WATERFALL, owed: owedUsd('0', '0', '0') })).toThrow(InvariantViolation);
    expect(() => applyWaterfall({ payment: usd('1.00'), order: DEFAULT_WATERFALL, owed: owedUsd('-1', '0', '0') })).toThrow(InvariantViolation);
    expect(() => applyWaterfall({ payment: usd('1.005'), order: DEFAULT_WATERFALL, owed: owedUsd('0', '0', '0') })).toThrow(InvariantViolation);
  });

  test('an invalid order is refused before anything is applied', () => {
    expect(() =>
      applyWaterfall({ payment: usd('1.00'), order: ['FEES', 'FEES', 'PRINCIPAL'] as WaterfallStep[], owed: owedUsd('0', '0', '0') }),
    ).toThrow(ValidationError);
  });
});

describe('waterfall properties', () => {
  const scaleOf: Record<string, number> = { USD: 2, JPY: 0, KWD: 3 };
  const amountArb = (currency: string): fc.Arbitrary<Money> =>
    fc
      .bigInt({ min: 0n, max: 10n ** 16n })
      .map((units) => Money.of(new D(units.toString()).dividedBy(new D(10).pow(scaleOf[currency])), currency));
  const orderArb = fc.constantFrom<WaterfallStep[]>(
    ['FEES', 'INTEREST', 'PRINCIPAL'],
    ['FEES', 'PRINCIPAL', 'INTEREST'],
    ['INTEREST', 'FEES', 'PRINCIPAL'],
    ['INTEREST', 'PRINCIPAL', 'FEES'],
    ['PRINCIPAL', 'FEES', 'INTEREST'],
    ['PRINCIPAL', 'INTEREST', 'FEES'],
  );
  const scenarioArb = fc.constantFrom('USD', 'JPY', 'KWD').chain((currency) =>
    fc.record({
      payment: amountArb(currency),
      order: orderArb,
      owed: fc.record({ fees: amountArb(currency), interest: amountArb(currency), principal: amountArb(currency) }),
    }),
  );
  const stepKey: Record<WaterfallStep, keyof OwedAmounts> = { FEES: 'fees', INTEREST: 'interest', PRINCIPAL: 'principal' };

  test('waterfall parts always sum exactly to the payment', () => {
    fc.assert(
      fc.property(scenarioArb, ({ payment, order, owed }) => {
        const a = applyWaterfall({ payment, order, owed });
        const total = a.fees.amount.plus(a.interest.amount).plus(a.principal.amount).plus(a.toSeller.amount);
        expect(total.equals(payment.amount)).toBe(true);
      }),
    );
  });

  test('no part is negative and no step receives more than it is owed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ payment, order, owed }) => {
        const a = applyWaterfall({ payment, order, owed });
        for (const part of [a.fees, a.interest, a.principal, a.toSeller]) {
          expect(part.amount.gte(0)).toBe(true);
          expect(part.currency).toBe(payment.currency);
        }
        expect(a.fees.amount.lte(owed.fees.amount)).toBe(true);
        expect(a.interest.amount.lte(owed.interest.amount)).toBe(true);
        expect(a.principal.amount.lte(owed.principal.amount)).toBe(true);
      }),
    );
  });

  test('a later step is paid only once every earlier step is paid in full, and the seller only after all', () => {
    fc.assert(
      fc.property(scenarioArb, ({ payment, order, owed }) => {
        const a = applyWaterfall({ payment, order, owed });
        order.forEach((step, index) => {
          const paid = a[stepKey[step]].amount;
          const laterGotSomething = order.slice(index + 1).some((later) => a[stepKey[later]].amount.gt(0)) || a.toSeller.amount.gt(0);
          if (laterGotSomething) expect(paid.equals(owed[stepKey[step]].amount)).toBe(true);
        });
      }),
    );
  });

  test('the seller receives exactly the excess of the payment over everything owed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ payment, order, owed }) => {
        const a = applyWaterfall({ payment, order, owed });
        const totalOwed = owed.fees.amount.plus(owed.interest.amount).plus(owed.principal.amount);
        const excess = payment.amount.minus(totalOwed);
        expect(a.toSeller.amount.equals(excess.gt(0) ? excess : new D(0))).toBe(true);
      }),
    );
  });
});

describe('fees on sale', () => {
  test('the canonical apple fee is 30 days of storage on the quantity sold', () => {
    // 20,000 kg × 0.002 USD/kg/day = 40.00 a day; × 30 days = 1,200.00 USD.
    expect(storageDaysFee({ days: 30, dailyRatePerUnit: usd('0.002'), quantity: new D('20000') }).format()).toBe('1 200.00 USD');
  });

  test('a storage fee is rounded half-even to the cent once, after multiplying', () => {
    // 1,234.5 kg × 0.0035 × 30 = 1,234.5 × 0.105 = 129.6225 → 129.62.
    expect(storageDaysFee({ days: 30, dailyRatePerUnit: usd('0.0035'), quantity: new D('1234.5') }).toFixedString()).toBe('129.62');
    // 1 × 0.0015 × 30 = 0.045, a tie → 0.04 (even); 1 × 0.0035 × 30 = 0.105, a tie → 0.10 (even).
    expect(storageDaysFee({ days: 30, dailyRatePerUnit: usd('0.0015'), quantity: new D('1') }).toFixedString()).toBe('0.04');
    expect(storageDaysFee({ days: 30, dailyRatePerUnit: usd('0.0035'), quantity: new D('1') }).toFixedString()).toBe('0.10');
    // Rounding per day first would give 0.00 (0.0015 → 0.00) × 30 = 0.00: the once-only rounding matters.
  });

  test('storage days are whole and nothing is negative', () => {
    expect(() => storageDaysFee({ days: 1.5, dailyRatePerUnit: usd('1'), quantity: new D('1') })).toThrow(InvariantViolation);
    expect(() => storageDaysFee({ days: -1, dailyRatePerUnit: usd('1'), quantity: new D('1') })).toThrow(InvariantViolation);
    expect(() => storageDaysFee({ days: 30, dailyRatePerUnit: usd('-1'), quantity: new D('1') })).toThrow(InvariantViolation);
    expect(() => storageDaysFee({ days: 30, dailyRatePerUnit: usd('1'), quantity: new D('-1') })).toThrow(InvariantViolation);
    expect(storageDaysFee({ days: 0, dailyRatePerUnit: usd('1'), quantity: new D('5') }).toFixedString()).toBe('0.00');
  });

  test('a percentage-of-proceeds fee is rounded half-even to the cent', () => {
    // 86,750.00 × 1.5% = 1,301.25.
    expect(percentOfProceedsFee({ proceeds: usd('86750.00'), percent: new D('0.015') }).toFixedString()).toBe('1301.25');
    // 1.00 × 2.5% = 0.025, a tie → 0.02; 1.00 × 3.5% = 0.035, a tie → 0.04.
    expect(percentOfProceedsFee({ proceeds: usd('1.00'), percent: new D('0.025') }).toFixedString()).toBe('0.02');
    expect(percentOfProceedsFee({ proceeds: usd('1.00'), percent: new D('0.035') }).toFixedString()).toBe('0.04');
    // 1,000,000 JPY × 1.5% = 15,000 JPY.
    expect(percentOfProceedsFee({ proceeds: Money.of('1000000', 'JPY'), percent: new D('0.015') }).format()).toBe('15 000 JPY');
  });

  test('a percentage outside 0–100% or negative proceeds are bugs', () => {
    expect(() => percentOfProceedsFee({ proceeds: usd('1.00'), percent: new D('1.5') })).toThrow(InvariantViolation);
    expect(() => percentOfProceedsFee({ proceeds: usd('1.00'), percent: new D('-0.01') })).toThrow(InvariantViolation);
    expect(() => percentOfProceedsFee({ proceeds: usd('-1.00'), percent: new D('0.01') })).toThrow(InvariantViolation);
  });

  test('feeOnSale applies the line schedule to the sale', () => {
    const sale = { quantity: new D('20000'), proceeds: usd('24000.00') };
    expect(feeOnSale({ kind: 'NONE' }, sale).toFixedString()).toBe('0.00');
    expect(feeOnSale({ kind: 'STORAGE_DAYS', days: 30, dailyRatePerUnit: usd('0.002') }, sale).toFixedString()).toBe('1200.00');
    // 24,000.00 × 1.5% = 360.00.
    expect(feeOnSale({ kind: 'PERCENT_OF_PROCEEDS', percent: new D('0.015') }, sale).toFixedString()).toBe('360.00');
  });

  test('a storage rate in another currency than the proceeds throws', () => {
    const sale = { quantity: new D('1'), proceeds: usd('100.00') };
    expect(() => feeOnSale({ kind: 'STORAGE_DAYS', days: 30, dailyRatePerUnit: Money.of('1.00', 'EUR') }, sale)).toThrow(CurrencyMismatchError);
  });

  test('the sale fee then runs through the waterfall first', () => {
    // Apples sold for 24,000.00; fee 1,200.00; interest 328.77; principal 12,000.00.
    // Seller gets 24,000.00 − 1,200.00 − 328.77 − 12,000.00 = 10,471.23.
    const sale = { quantity: new D('20000'), proceeds: usd('24000.00') };
    const fee = feeOnSale({ kind: 'STORAGE_DAYS', days: 30, dailyRatePerUnit: usd('0.002') }, sale);
    const allocation = applyWaterfall({
      payment: sale.proceeds,
      order: DEFAULT_WATERFALL,
      owed: { fees: fee, interest: usd('328.77'), principal: usd('12000.00') },
    });
    expect(asStrings(allocation)).toEqual({ fees: '1200.00', interest: '328.77', principal: '12000.00', toSeller: '10471.23' });
  });
});
